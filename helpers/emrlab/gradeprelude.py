"""The first cell of every graded notebook: limits that keep one submission from harming others.

Taught in docs/instructors.md. It runs inside the learner's kernel before their code:

- an audit hook (``sys.addaudithook``; it cannot be removed once added) refuses writes,
  deletes and renames outside the submission's work dir, and any shell command or process
  not started by Spark or emrlab itself; each refusal is logged for the gradebook;
- stdout and stderr are capped, so printing megabytes cannot flood the grader.
"""

from __future__ import annotations

PRELUDE = r'''
import os as _g_os, sys as _g_sys

def _g_install(work, log_path, cap):
    work = _g_os.path.realpath(work)
    log = open(log_path, "a", buffering=1)
    allowed_roots = (work + _g_os.sep, "/dev/null", "/dev/shm/", "/proc/")
    trusted = (_g_os.sep + "pyspark" + _g_os.sep, _g_os.sep + "emrlab" + _g_os.sep,
               _g_os.sep + "py4j" + _g_os.sep, _g_os.sep + "jupyter_client" + _g_os.sep,
               _g_os.sep + "ipykernel" + _g_os.sep)
    write_flags = _g_os.O_WRONLY | _g_os.O_RDWR | _g_os.O_CREAT | _g_os.O_APPEND | _g_os.O_TRUNC

    def refuse(what):
        log.write(what + "\n")
        raise PermissionError("the grader blocked " + what)

    def inside(path):
        try:
            real = _g_os.path.realpath(_g_os.fsdecode(path))
        except (TypeError, ValueError):
            return True
        return real == work or real.startswith(allowed_roots)

    def from_trusted_code():
        frame = _g_sys._getframe(2)
        while frame is not None:
            if any(t in frame.f_code.co_filename for t in trusted):
                return True
            frame = frame.f_back
        return False

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if writing and not inside(path):
                refuse("a write outside the work dir: " + _g_os.fsdecode(path))
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.truncate", "shutil.rmtree",
                       "os.chmod", "os.chown"):
            if not isinstance(args[0], int) and not inside(args[0]):
                refuse(event + " outside the work dir: " + _g_os.fsdecode(args[0]))
        elif event in ("os.rename", "os.link", "os.symlink"):
            for path in args[:2]:
                if not isinstance(path, int) and not inside(path):
                    refuse(event + " outside the work dir: " + _g_os.fsdecode(path))
        elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                       "os.forkpty", "pty.spawn"):
            refuse("a shell command or process: " + event)
        elif event == "subprocess.Popen" and not from_trusted_code():
            refuse("a subprocess: " + str(args[1])[:200])

    class Cap:
        def __init__(self, stream):
            self._stream, self._left, self._warned = stream, cap, False

        def write(self, text):
            if self._left <= 0:
                if not self._warned:
                    self._warned = True
                    self._stream.write("\n[output truncated by the grader]\n")
                return len(text)
            self._left -= len(text)
            return self._stream.write(text[: max(0, self._left + len(text))])

        def __getattr__(self, name):
            return getattr(self._stream, name)

    _g_sys.stdout, _g_sys.stderr = Cap(_g_sys.stdout), Cap(_g_sys.stderr)
    _g_sys.addaudithook(hook)

_g_install(_g_os.environ["EMRLAB_GRADER_WORK"], _g_os.environ["EMRLAB_GRADER_LOG"],
           int(_g_os.environ.get("EMRLAB_GRADER_OUTPUT_CAP", "1000000")))
del _g_install
'''
