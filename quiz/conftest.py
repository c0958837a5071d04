"""pytest set-up for ``pytest --nbval quiz/``: the quiz notebooks' reference outputs assume
the repository bank and an empty progress store, so each run gets a fresh temporary store
(kernels inherit this environment) and ignores any ``EMRLAB_QUIZ_BANK`` override.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_TMP = tempfile.mkdtemp(prefix="emrlab-nbval-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ["EMRLAB_QUIZ_DB"] = str(Path(_TMP) / "quiz.sqlite3")
os.environ.pop("EMRLAB_QUIZ_BANK", None)
