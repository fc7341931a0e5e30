"""Every example in the README runs as written (against the emulator, in a scratch home).

The shell blocks are read from README.md; each command line (continuation lines joined) runs in bash with the
emulator's settings. Synopsis lines with placeholders (JOB, FILE, TOKEN…) and the long-running receiver are not
runnable examples and are skipped; everything else must exit as the README says it does.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hlrcli.cli.app import build
from tests.conftest import ROOT
from tests.test_batch import numbers

README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"\b(JOB|FILE|TOKEN|NAME|VALUE|OLD|NEW|SHELL|NUMBER|PROVIDER|URL|DURATION)\b|…|\[-")
# Lines the README itself shows failing, with the exit code it documents.
EXPECTED = {"hlrcli lookup +491788735000 +447700900126 +33612345678": 2}
NOT_RUN = ("webhook serve",)  # runs until stopped


def examples() -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            command = line.split("  #", 1)[0].strip()
            if "hlrcli " not in command or command.startswith(("#", "python", "pip", "git")):
                continue
            if PLACEHOLDER.search(command) or any(skip in command for skip in NOT_RUN):
                continue
            out.append(command)
    return out


def test_the_readme_has_runnable_examples() -> None:
    assert len(examples()) >= 30


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, _emulator) -> Path:
    work = tmp_path_factory.mktemp("readme")
    nums = numbers(30)
    with (work / "customers.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "name", "phone"])
        writer.writerows([str(i), f"name {i}", n] for i, n in enumerate(nums))
        writer.writerows([["30", "dup", nums[2]], ["31", "bad", "12345"]])
    french = numbers(5, prefix="+33612", width=6)
    (work / "export.csv").write_text(
        "nom;ville;code;tel\n" + "".join(f"p{i};Lyon;{i};0{n[3:]}\n" for i, n in enumerate(french))
    )
    shutil.copy(work / "customers.csv", work / "contacts.csv")
    shutil.copy(work / "customers.csv", work / "today.csv")
    return work


def _env(emu, work: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HLR", "SMSPARTNER", "AFFILIATE"))},
        **emu.env(),
        "HLRCLI_HOME": str(work / "home"),
        "HLRCLI_CONFIG": str(work / "config.toml"),
        "HOME": str(work / "userhome"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "SECRET": "a-secret-from-a-vault-0123456789",
    }


def test_every_example_runs_as_written(emu, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _env(emu, workdir)
    (workdir / "userhome").mkdir(exist_ok=True)
    # The reports and diffs in the README name two monthly runs of customers.csv: make them.
    for job in ("customers-2026-11", "customers-2026-12"):
        done = subprocess.run(["hlrcli", "batch", "customers.csv", "--job", job, "-q"], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
    # A plain `hlrcli …` line runs in this process, as the console script would run it (the same app, argv,
    # environment, directory and stdin); a line that needs a shell (pipes, redirections, `&&`) runs in bash.
    monkeypatch.chdir(workdir)
    for key in [k for k in os.environ if k not in env]:
        monkeypatch.delenv(key)
    app = build()
    failures = []
    for command in examples():
        words = None if set(command) & set("|<>$;&`~") else shlex.split(command)
        if words and words[0] == "hlrcli":
            result = CliRunner().invoke(app, words[1:], input="+4917812345\n", env=env)
            code, stderr = result.exit_code, result.stderr
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                stderr += "".join(traceback.format_exception(result.exception))
        else:
            done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=workdir, env=env,
                                  input="+4917812345\n", capture_output=True, text=True, timeout=120)  # fmt: skip
            code, stderr = done.returncode, done.stderr
        expected = EXPECTED.get(command, 0)
        if code != expected or "Traceback" in stderr or "internal error" in stderr:
            failures.append(f"{command}\n  exit {code} (expected {expected}): {stderr.strip()[-400:]}")
    assert not failures, "\n".join(failures)
