"""FerretDB v1 (SQLite backend) built from `deploy/ferretdb` and run on loopback."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from shared.stack.ports import free_port, stop_group, wait_until

RECIPE = Path(__file__).resolve().parents[2] / "deploy" / "ferretdb"


def cache_dir() -> Path:
    root = Path(os.environ.get("LINLI_CACHE", Path.home() / ".cache" / "linli"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def binary_path() -> Path:
    """The cached binary for the current recipe (a new recipe gets a new build)."""
    digest = hashlib.sha256()
    for path in sorted([RECIPE / "go.mod", RECIPE / "go.sum", RECIPE / "patches.json", *RECIPE.glob("*.go")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return cache_dir() / f"ferretdb-{digest.hexdigest()[:12]}"


def build() -> Path:
    """The server binary for the current recipe, built once into the cache: the recipe copied to
    a scratch folder, with the module sources its `patches.json` names patched beside it."""
    target = binary_path()
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod -buildvcs=false"}
    with tempfile.TemporaryDirectory(prefix="ferretdb-build-") as scratch:
        source = Path(scratch) / "recipe"
        shutil.copytree(RECIPE, source, ignore=shutil.ignore_patterns("*.md"))
        apply_patches(source, Path(scratch), env)
        result = subprocess.run(["go", "build", "-trimpath", "-o", str(partial), "."],
                                cwd=source, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building FerretDB failed:\n{result.stdout}\n{result.stderr}")
    partial.rename(target)
    return target


def go(args: list[str], cwd: Path, env: dict) -> str:
    result = subprocess.run(["go", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"go {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


def apply_patches(source: Path, scratch: Path, env: dict) -> None:
    """Each module `patches.json` names is copied from the module cache, patched, and put in
    place of the original with a `replace` in the copied recipe; a patch whose text is not
    found exactly once stops the build."""
    patches = json.loads((RECIPE / "patches.json").read_text())
    copies: dict[str, Path] = {}
    for patch in patches:
        module = patch["module"]
        if module not in copies:
            copies[module] = scratch / f"module-{len(copies)}"
            # `go list -m` names no folder for a module not yet downloaded (a fresh machine): download first
            downloaded = json.loads(go(["mod", "download", "-json", module], source, env))
            shutil.copytree(downloaded["Dir"], copies[module])
            subprocess.run(["chmod", "-R", "u+w", str(copies[module])], check=True)
            go(["mod", "edit", f"-replace={module}={copies[module]}"], source, env)
        patched = copies[module] / patch["file"]
        text = patched.read_text()
        if text.count(patch["find"]) != 1:
            raise RuntimeError(f"the patch of {module}/{patch['file']} no longer applies: {patch['why']}")
        patched.write_text(text.replace(patch["find"], patch["replace"]))


def server_version(uri: str) -> str:
    from shared.mongo import mongo_client

    client = mongo_client(uri)
    try:
        info = client.admin.command("buildInfo")
        return f"{info.get('version')} wire, FerretDB {recipe_version()} (sqlite)"
    finally:
        client.close()


def mongo_answers(uri: str) -> bool:
    from shared.mongo import mongo_client

    client = mongo_client(uri, timeout_ms=1000)
    try:
        return client.admin.command("ping").get("ok") == 1
    finally:
        client.close()


class FerretServer:
    """One FerretDB process with its SQLite data in `workdir/data`."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60) -> str:
        binary = build()
        log = open(self.workdir / "ferretdb.out", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(binary), "-listen", f"127.0.0.1:{self.port}", "-data", str(self.workdir / "data")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"ferretdb exited with {self.process.returncode}")
            return mongo_answers(self.uri)

        wait_until(ready, timeout, "FerretDB")
        return self.uri

    def stop(self) -> None:
        stop_group(self.process, grace=20)


def recipe_version() -> str:
    """The FerretDB module version the recipe pins in go.mod."""
    for line in (RECIPE / "go.mod").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "github.com/FerretDB/FerretDB":
            return parts[1]
    return "unknown"
