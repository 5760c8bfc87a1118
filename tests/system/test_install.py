"""Installing without a container (`pipx install .`, `uv tool install .`) gives a working CLI.

Both build the wheel and install it into a venv of its own. This does the same offline:
the wheel is built from a copy of the sources with the setuptools `make install` put in
the venv (no build isolation, nothing downloaded), installed into a throwaway venv with
pip, and run from there. The dependencies are not downloaded again: the throwaway venv
sees this venv's packages through a `.pth` file (added after the install, so pip never
sees the editable anitrakt), and the test checks that they satisfy every requirement the
wheel declares. A missing package-data file (templates, migrations) fails `db upgrade`.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from packaging.requirements import Requirement

import paths
from anitrakt import __version__
from anitrakt.store import migrate

ROOT = paths.ROOT
# Generous: a busy 2-core machine builds and installs in a few seconds.
STEP_TIMEOUT = 300


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def _copy_sources(target: Path) -> None:
    shutil.copytree(
        ROOT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)


def test_the_built_wheel_installs_and_runs_on_its_own(tmp_path: Path) -> None:
    project, dist, venv = tmp_path / "project", tmp_path / "dist", tmp_path / "venv"
    _copy_sources(project)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        dist,
        project,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("anitrakt-*.whl")
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    purelib = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "_anitrakt_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")

    located = _run(python, "-c", "import anitrakt; print(anitrakt.__file__)", cwd=tmp_path)
    assert Path(located.strip()).is_relative_to(venv), located
    declared = _run(
        python, "-c", "import importlib.metadata as m; print('\\n'.join(m.requires('anitrakt')))",
        cwd=tmp_path,
    )  # fmt: skip
    for line in declared.splitlines():
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # the dev extra
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)

    anitrakt = venv / "bin" / "anitrakt"
    assert _run(anitrakt, "--version", cwd=tmp_path) == f"anitrakt {__version__}\n"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'installed.db'}",
    }
    upgraded = _run(anitrakt, "db", "upgrade", cwd=tmp_path, env=env)
    assert f"database at revision {migrate.head_revision()}" in upgraded
