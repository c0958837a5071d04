"""Spark applications that run as EMR steps (``spark-submit``); see clickstream_etl.py."""
