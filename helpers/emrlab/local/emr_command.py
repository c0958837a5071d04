"""How the local EMR runs one step: the command, the ``s3://`` mapping, the logs.

Taught in notebooks/01_emr_provisioning.ipynb.

Jars: ``command-runner.jar`` runs its ``Args`` as a command (as on EMR's primary node) and
``script-runner.jar`` runs the script named by its first argument; other jars fail the step.

Commands: ``spark-submit`` becomes the ``spark-submit`` of the installed pyspark, with the
environment of :func:`emrlab.spark.prepare_env`, ``--master`` from the kit's local settings and
the kit's local Spark defaults (cluster-only options such as ``--deploy-mode cluster``,
``--num-executors`` or ``--executor-memory`` are dropped; the ``controller`` log says so).
``python``/``python3`` become this interpreter; other commands are looked up on ``PATH``.
Local mode is offline, so a ``spark-submit`` that would download from a Maven repository
(``--packages``, ``--repositories``, ``spark.jars.packages``, ``spark.jars.repositories``)
fails before it runs, with a reason: put the jar in the lake and pass it with ``--jars``, or
run the step in AWS mode.

``s3://`` arguments (also ``s3a://``, ``s3n://``):

* code (the spark-submit application, ``--py-files``/``--files``/``--archives``/``--jars``
  items, and for other commands any ``.py .sh .zip .jar .egg .whl`` argument) is downloaded
  from the emulator's S3 into the step's folder; a missing object fails the step;
* every other S3 argument is data and is replaced by :func:`emrlab.uris.local_path`
  (``<work_dir>/lake/<bucket>/<key>``). When that path does not exist but the emulator's S3
  holds objects there, they are copied into the lake first; after a successful step, files the
  step wrote there are copied back to the emulator's S3 (up to ``EMRLAB_LOCALEMR_SYNC_MB``,
  default 64 MB per step), so notebook code can read them with boto3 in both modes.

The step's environment also carries ``EMRLAB_LAKE_DIR``, ``EMRLAB_LOCALEMR=1``,
``EMR_CLUSTER_ID``, ``EMR_STEP_ID`` and the emulator address. Logs go to
``<work_dir>/emr-logs/<cluster-id>/steps/<step-id>/{controller,stdout,stderr}`` and, when the
cluster has a ``LogUri``, to ``<LogUri>/<cluster-id>/steps/<step-id>/{controller,stdout,stderr}.gz``
as on EMR.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import botocore.exceptions

from emrlab import config
from emrlab.exceptions import LocalEmrError
from emrlab.local import emulator as localaws
from emrlab.uris import is_s3_uri, lake_dir, local_path, split_s3

SYNC_ENV = "EMRLAB_LOCALEMR_SYNC_MB"
CODE_SUFFIXES = (".py", ".sh", ".zip", ".jar", ".egg", ".whl")
# spark-submit options that take a value; those dropped locally; those naming files.
VALUE_OPTS = {
    "--master", "--deploy-mode", "--class", "--name", "--jars", "--packages",
    "--exclude-packages", "--repositories", "--py-files", "--files", "--archives", "--conf",
    "-c", "--properties-file", "--driver-memory", "--driver-java-options",
    "--driver-library-path", "--driver-class-path", "--executor-memory", "--proxy-user",
    "--driver-cores", "--total-executor-cores", "--executor-cores", "--num-executors",
    "--principal", "--keytab", "--queue",
}
DROPPED_OPTS = {
    "--master", "--deploy-mode", "--num-executors", "--executor-memory", "--executor-cores",
    "--driver-memory", "--driver-cores", "--total-executor-cores", "--queue",
}
FILE_OPTS = {"--py-files", "--files", "--archives", "--jars"}
DROPPED_CONF = ("spark.master", "spark.submit.deployMode", "spark.yarn.", "spark.executor.instances")
# What would make spark-submit download from a Maven repository (local mode is offline).
DOWNLOAD_OPTS = {"--packages": "spark.jars.packages", "--repositories": "spark.jars.repositories"}
DOWNLOAD_CONF = tuple(DOWNLOAD_OPTS.values())
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt))(:.*)?$")


def s3_client(endpoint: str):
    """A plain boto3 S3 client for the emulator at ``endpoint`` (dummy credentials)."""
    creds = localaws.DUMMY_CREDENTIALS
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds["AWS_SESSION_TOKEN"],
    )


class StepExecution:
    """One step on this machine (built by :meth:`for_step` from moto's cluster and step)."""

    def __init__(self, cluster_id: str, step_id: str, jar: str, args: list[str],
                 log_uri: str | None, work_dir: Path, endpoint: str):
        self.cluster_id, self.step_id, self.jar = cluster_id, step_id, jar
        self.args = [str(a) for a in args]
        self.log_uri, self.work_dir, self.endpoint = log_uri, Path(work_dir), endpoint
        self.log_dir = self.work_dir / "emr-logs" / cluster_id / "steps" / step_id
        self.code_dir = self.work_dir / "emr-steps" / cluster_id / step_id
        self.cmd: list[str] = []
        self.env: dict[str, str] = {}
        self.outputs: list[tuple[Path, str]] = []
        self.proc: subprocess.Popen | None = None
        self.killed: int | None = None
        self.started = time.time()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._s3 = s3_client(endpoint) if endpoint else None

    @classmethod
    def for_step(cls, cluster, step, endpoint: str) -> StepExecution:
        """The execution of moto ``step`` on moto ``cluster``."""
        return cls(cluster.id, step.id, step.jar or "", list(step.args or []), cluster.log_uri,
                   config.current().work_dir, endpoint)

    # ---- logs ------------------------------------------------------------------------
    def note(self, line: str) -> None:
        """Append a line to the step's ``controller`` log."""
        with open(self.log_dir / "controller", "a", encoding="utf-8") as fh:
            fh.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + line + "\n")

    def log_prefix(self) -> str | None:
        """``<LogUri>/<cluster-id>/steps/<step-id>/`` or None without a LogUri."""
        if not self.log_uri or not is_s3_uri(self.log_uri):
            return None
        return f"{self.log_uri.rstrip('/')}/{self.cluster_id}/steps/{self.step_id}/"

    def log_file_detail(self, name: str = "stderr") -> dict:
        """``{"LogFile": ...}``: the ``name`` log in S3, else on this machine."""
        prefix = self.log_prefix()
        return {"LogFile": f"{prefix}{name}.gz" if prefix else str(self.log_dir / name)}

    def publish_logs(self) -> None:
        """Upload controller/stdout/stderr, gzipped, under the cluster's LogUri (if any)."""
        prefix = self.log_prefix()
        if prefix is None or self._s3 is None:
            return
        bucket, key = split_s3(prefix)
        for name in ("controller", "stdout", "stderr"):
            path = self.log_dir / name
            body = gzip.compress(path.read_bytes() if path.exists() else b"")
            try:
                self._s3.put_object(Bucket=bucket, Key=f"{key}{name}.gz", Body=body)
            except botocore.exceptions.ClientError as exc:
                self.note(f"could not upload {name} to {prefix}: {exc}")

    # ---- preparing the command -----------------------------------------------------------
    def _download(self, uri: str) -> str:
        if self._s3 is None:
            raise LocalEmrError(f"{uri}: no emulator address to download from")
        bucket, key = split_s3(uri)
        target = self.code_dir / Path(key).name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._s3.download_file(bucket, key, str(target))
        except botocore.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            what = "does not exist" if code in ("404", "NoSuchKey", "NoSuchBucket") else "cannot be read"
            raise LocalEmrError(f"{uri} {what} ({code or exc})") from exc
        self.note(f"downloaded {uri} to {target}")
        return str(target)

    def _data(self, uri: str) -> str:
        path = local_path(uri, self.work_dir)
        self.outputs.append((path, uri))
        if not path.exists() and self._s3 is not None:
            self._hydrate(uri, path)
        return str(path)

    def _hydrate(self, uri: str, path: Path) -> None:
        if self._s3 is None:  # no emulator endpoint: nothing to copy from
            return
        bucket, key = split_s3(uri)
        try:
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        except botocore.exceptions.ClientError:
            return
        root = key.rstrip("/")
        for k in keys:
            if k != key and not k.startswith(root + "/"):
                continue
            target = path if k == key else path / k[len(root) + 1:]
            target.parent.mkdir(parents=True, exist_ok=True)
            self._s3.download_file(bucket, k, str(target))
        if keys:
            self.note(f"copied {len(keys)} object(s) from {uri} into the local lake at {path}")

    def _map_code_list(self, value: str) -> str:
        return ",".join(self._download(v) if is_s3_uri(v) else v for v in value.split(","))

    @staticmethod
    def _split_inline(args: list[str]) -> list[str]:
        """``--opt=value`` (as spark-submit also accepts) as ``--opt value``, up to the app."""
        out, i = [], 0
        while i < len(args) and args[i].startswith("-"):
            opt, eq, value = args[i].partition("=")
            if eq and opt in VALUE_OPTS:
                out += [opt, value]
                i += 1
            elif args[i] in VALUE_OPTS:
                out += args[i:i + 2]
                i += 2
            else:
                out.append(args[i])
                i += 1
        return out + args[i:]

    @staticmethod
    def _refuse_downloads(args: list[str]) -> None:
        """Fail before anything runs when spark-submit would fetch packages from a repository."""
        i = 0
        while i < len(args) and args[i].startswith("-"):
            opt = args[i]
            value = args[i + 1] if opt in VALUE_OPTS and i + 1 < len(args) else ""
            what = ""
            if opt in DOWNLOAD_OPTS:
                what = f"{opt} {value}"
            elif opt in ("--conf", "-c") and value.partition("=")[0].strip() in DOWNLOAD_CONF:
                what = f"{opt} {value.strip()}"
            if what:
                raise LocalEmrError(
                    f"spark-submit {what[:60]}: local mode is offline and cannot download from "
                    "a Maven repository; put the jar in the lake (s3://<bucket>/jars/) and pass "
                    "it with --jars, or run the step in AWS mode"
                )
            i += 2 if opt in VALUE_OPTS else 1

    def _spark_submit(self, args: list[str]) -> list[str]:
        from emrlab import spark

        args = self._split_inline(args)
        self._refuse_downloads(args)
        jre = spark.prepare_env()
        self.note(f"Java runtime: {jre.home}")
        import pyspark

        submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
        conf = spark.local_conf(self.work_dir)
        options, user_conf, i = [], {}, 0
        while i < len(args) and args[i].startswith("-"):
            opt = args[i]
            if opt in VALUE_OPTS:
                if i + 1 >= len(args):
                    raise LocalEmrError(f"spark-submit option {opt} needs a value")
                value = args[i + 1]
                i += 2
                if opt in DROPPED_OPTS:
                    self.note(f"dropped cluster-only option {opt} {value} (local Spark)")
                elif opt in ("--conf", "-c"):
                    k, _, v = value.partition("=")
                    if k.startswith(DROPPED_CONF):
                        self.note(f"dropped cluster-only setting {value}")
                    else:
                        user_conf[k] = v
                else:
                    options += [opt, self._map_code_list(value) if opt in FILE_OPTS else value]
            else:
                options.append(opt)
                i += 1
        if i >= len(args):
            raise LocalEmrError("spark-submit has no application (a .py file or a jar)")
        app = self._download(args[i]) if is_s3_uri(args[i]) else args[i]
        app_args = [self._data(a) if is_s3_uri(a) else a for a in args[i + 1:]]
        merged = {k: v for k, v in conf.items() if k != "spark.master"}
        merged.update(user_conf)
        confs = [x for k, v in merged.items() for x in ("--conf", f"{k}={v}")]
        return [str(submit), "--master", conf["spark.master"], *confs, *options, app, *app_args]

    def _command(self, args: list[str]) -> list[str]:
        program, rest = args[0], args[1:]
        if program in ("python", "python3"):
            program = sys.executable
        elif shutil.which(program) is None:
            raise LocalEmrError(f"command {program!r} was not found on this machine's PATH")
        return [program, *self._map_args(rest)]

    def _map_args(self, args: list[str]) -> list[str]:
        mapped = []
        for a in args:
            if is_s3_uri(a):
                a = self._download(a) if a.endswith(CODE_SUFFIXES) else self._data(a)
            mapped.append(a)
        return mapped

    def prepare(self) -> None:
        """Download the code, map the data paths, build the command and the environment.

        Raises
        ------
        LocalEmrError
            Unsupported jar, empty arguments, a missing script or command.
        """
        self.note(f"step {self.step_id} of {self.cluster_id}: jar={self.jar} args={self.args}")
        jar = self.jar.rsplit("/", 1)[-1]
        args = list(self.args)
        if jar == "script-runner.jar":
            if not args:
                raise LocalEmrError("script-runner.jar needs the script as its first argument")
            script = self._download(args[0]) if is_s3_uri(args[0]) else args[0]
            interpreter = sys.executable if script.endswith(".py") else "bash"
            self.cmd = [interpreter, script, *self._map_args(args[1:])]
        elif jar == "command-runner.jar":
            if not args:
                raise LocalEmrError("command-runner.jar needs Args (e.g. ['spark-submit', ...])")
            self.cmd = self._spark_submit(args[1:]) if args[0] == "spark-submit" else self._command(args)
        else:
            raise LocalEmrError(
                f"Jar={self.jar!r}: the local EMR runs command-runner.jar and script-runner.jar "
                "steps only"
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL_")}
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
            env.pop(name, None)
        env.update(localaws.DUMMY_CREDENTIALS)
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint, "AWS_ENDPOINT_URL_S3": self.endpoint,
            localaws.ENDPOINT_ENV: self.endpoint,
            "EMRLAB_MODE": "local", "EMRLAB_WORK_DIR": str(self.work_dir),
            "EMRLAB_LAKE_DIR": str(lake_dir(self.work_dir)), "EMRLAB_LOCALEMR": "1",
            "EMR_CLUSTER_ID": self.cluster_id, "EMR_STEP_ID": self.step_id,
            "PYTHONUNBUFFERED": "1",
        })
        self.env = env
        self.note("command: " + " ".join(self.cmd))

    # ---- running -------------------------------------------------------------------------
    def run(self) -> int:
        """Run the command to its end (stdout/stderr to the step's log files); its exit code."""
        self.code_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / "stdout", "wb") as out, open(self.log_dir / "stderr", "ab") as err:
            self.started = time.time()  # files older than this (e.g. copied inputs) stay put
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err, env=self.env,
                                         cwd=self.code_dir, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
            if self.killed is not None:
                self.kill(self.killed)
            rc = self.proc.wait()
        self.note(f"command exited with code {rc}")
        return rc

    def kill(self, sig: int) -> None:
        """Signal the command's process group (at once); SIGKILL follows after 5 s if it lingers."""
        self.killed = sig
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        if sig != signal.SIGKILL:  # never wait here: callers hold the worker's lock
            timer = threading.Timer(5.0, self._escalate, args=(proc,))
            timer.daemon = True
            timer.start()

    def _escalate(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def failure_details(self, rc: int) -> dict:
        """EMR-like ``FailureDetails``: the last exception line of the logs, the exit code, the log."""
        reason, where = "Unknown Error.", "stderr"
        for name in ("stderr", "stdout"):  # spark-submit sends a Python driver's stderr to stdout
            path = self.log_dir / name
            lines = path.read_text(errors="replace").splitlines() if path.exists() else []
            found = [ln.strip() for ln in lines[-200:] if _ERROR_LINE.match(ln.strip())]
            if found:
                reason, where = found[-1][:256], name
                break
        details = {"Reason": reason,
                   "Message": f"the step's command exited with code {rc}; see LogFile"}
        details.update(self.log_file_detail(where))
        return details

    def sync_outputs(self) -> None:
        """Copy the files the step wrote in the lake back to the emulator's S3 (size-capped)."""
        if self._s3 is None:
            return
        cap = float(os.environ.get(SYNC_ENV, "64") or 64) * 1e6
        for path, uri in self.outputs:
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            files = [f for f in files if f.stat().st_mtime >= self.started
                     and not f.name.endswith(".crc")]
            total = sum(f.stat().st_size for f in files)
            if not files:
                continue
            if total > cap:
                self.note(f"{uri}: {total / 1e6:.1f} MB written; not copied to S3 (> {SYNC_ENV})")
                continue
            bucket, key = split_s3(uri)
            for f in files:
                rel = "" if f == path else "/" + f.relative_to(path).as_posix()
                self._s3.upload_file(str(f), bucket, key.rstrip("/") + rel if rel else key)
            self.note(f"copied {len(files)} file(s) from {path} to {uri}")
