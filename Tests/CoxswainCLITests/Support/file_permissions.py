"""A config file that becomes unreadable and readable again, as `coxswain run --config-dir` sees it.

Issue #15: a file fixed after `chmod 000` was never re-read (its stamp did not change). Root reads
every file whatever its mode, so the operator runs as an unprivileged user (uid 65534 through
setpriv) on a folder that user owns. Steps, each checked on the "mesh loaded" log lines:
  1. readable: 1 object, 0 errors;
  2. chmod 000: the error is reported and the last good object is still served (1 object, 1 error);
  3. chmod 644, content unchanged: read again (1 object, 0 errors).
Usage: file_permissions.py COXSWAIN_EXECUTABLE VIRTUAL_SERVICE_YAML
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

NOBODY = 65534


def main():
    executable, source = sys.argv[1], sys.argv[2]
    folder = tempfile.mkdtemp(prefix="coxswain-perm-")
    # The checkout may sit where that user cannot reach (/root): run a copy from a folder it can.
    binaries = tempfile.mkdtemp(prefix="coxswain-perm-bin-")
    os.chmod(binaries, 0o755)
    executable = shutil.copy(executable, os.path.join(binaries, "coxswain"))
    os.chmod(executable, 0o755)
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "reviews.yaml")
    shutil.copy(source, path)
    os.chmod(path, 0o644)
    os.chown(folder, NOBODY, NOBODY)
    os.chown(path, NOBODY, NOBODY)
    process = subprocess.Popen(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", executable, "run",
         "--config-dir", folder, "--xds-port", "0", "--admin-port", "0", "--config-settle", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/")
    loads, lines = [], []
    condition = threading.Condition()

    def read():
        for line in process.stdout:
            with condition:
                lines.append(line.rstrip())
                if "mesh loaded" in line:
                    objects = re.search(r"objects=(\d+)", line)
                    errors = re.search(r"errors=(\d+)", line)
                    loads.append((int(objects.group(1)), int(errors.group(1))))
                condition.notify_all()

    threading.Thread(target=read, daemon=True).start()

    def wait_for(expected, after, what):
        deadline = time.monotonic() + 20
        with condition:
            while time.monotonic() < deadline:
                if expected in loads[after:]:
                    return len(loads)
                condition.wait(timeout=0.5)
        raise SystemExit(f"{what}: no 'mesh loaded' with (objects, errors)={expected}; loads={loads}\n" + "\n".join(lines[-30:]))

    try:
        seen = wait_for((1, 0), 0, "readable at start")
        os.chmod(path, 0o000)
        seen = wait_for((1, 1), seen, "after chmod 000 (the last good object stays served)")
        with condition:
            reported = any("reviews.yaml" in line and "permission" in line.lower() for line in lines)
        if not reported:
            raise SystemExit("the unreadable file is not named with the reason:\n" + "\n".join(lines[-30:]))
        os.chmod(path, 0o644)
        wait_for((1, 0), seen, "after chmod 644 with the same content")
        print("ok: unreadable file reported, last good object kept, re-read once readable")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(binaries, ignore_errors=True)


if __name__ == "__main__":
    main()
