"""The deployment files against each other and against the code.

No image can be built here (no registry), so this checks what can be checked without one: the
Dockerfile installs from the lock exactly as docs/deploy.md says, the lock pins everything the
project needs, fly.toml agrees with the image and the settings, and the container's command,
run outside Docker with the environment a container gets, starts the bot, passes the image's
own HEALTHCHECK and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import ast
import asyncio
import fnmatch
import json
import os
import re
import shlex
import signal
import socket
import sys
import time
import tomllib
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.process.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
CI = ROOT / ".ci" / "run"
DOCS = (ROOT / "docs" / "deploy.md", ROOT / "README.md")
"""The deployment section is written in docs/deploy.md and merged into the README."""
BIN = Path(sys.executable).parent
"""The test venv's scripts: where the image's PATH puts /opt/venv/bin."""

INTERRUPTED_NOTE_SECONDS = 15
"""After the grace period, Services.drain waits this long for "interrupted" notes."""

CONFIG_VARS = ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "ANTHROPIC_BASE_URL", "HOST")


def instructions() -> list[tuple[int, str, str]]:
    """(stage, INSTRUCTION, arguments) for each Dockerfile line, continuations joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: list[tuple[int, str, str]] = []
    stage = -1
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        found.append((stage, keyword.upper(), arguments.strip()))
    return found


def final_stage(keyword: str) -> list[str]:
    found = instructions()
    last = max(stage for stage, _, _ in found)
    return [arguments for stage, name, arguments in found if stage == last and name == keyword]


def exec_form(arguments: str) -> list[str]:
    command = json.loads(arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), arguments
    return command


def healthcheck_command() -> list[str]:
    [healthcheck] = final_stage("HEALTHCHECK")
    _, _, command = healthcheck.partition("CMD ")
    return exec_form(command)


def image_env() -> dict[str, str]:
    """The runtime stage's ENV, but PATH (the test puts the venv's bin first, as the image does)."""
    values: dict[str, str] = {}
    for arguments in final_stage("ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            values[key] = value
    assert values.pop("PATH").startswith("/opt/venv/bin:"), "the image must run the venv's scripts"
    return values


def pip_installs(lines: list[str]) -> list[list[str]]:
    """The arguments of each `pip install`, without options that only change output or caching."""
    cosmetic = {"-q", "--quiet", "--no-cache-dir"}
    installs = []
    for line in lines:
        for match in re.finditer(r"\bpip install ([^&;\n]+)", line):
            installs.append([arg for arg in shlex.split(match.group(1)) if arg not in cosmetic])
    return installs


def deploy_doc() -> str:
    """The deployment section, wherever it is now."""
    texts = [path.read_text() for path in DOCS if path.exists()]
    found = [text for text in texts if "### Installing from the lock" in text]
    assert found, "no deployment section (### Installing from the lock) in docs/deploy.md or README.md"
    return found[0]


def documented_block(heading: str) -> list[str]:
    """The lines of the first ```sh block after a heading of the deployment section."""
    text = deploy_doc()
    start = text.index(heading)
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block is not None, f"no ```sh block under {heading!r}"
    return block.group(1).splitlines()


def lock_pins(lock: Path = LOCK) -> dict[str, str]:
    pins = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", lock.read_text(), re.M))
    return {canonicalize_name(name): version for name, version in pins.items()}


def lock_command(lock: Path = LOCK) -> str:
    header = re.search(r"^#\s+(uv pip compile .*|pip-compile .*)$", lock.read_text(), re.M)
    assert header is not None, f"{lock.name} must say how it was made"
    return header.group(1).strip()


def assert_every_pin_hashed(lock: Path) -> None:
    header, *pinned = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    assert header.startswith("#") and pinned
    for block in pinned:
        assert "--hash=sha256:" in block, f"no hash for {block.split()[0]}: pip --require-hashes refuses it"


def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def fly() -> dict[str, Any]:
    return tomllib.loads((ROOT / "fly.toml").read_text())


def status_of(url: str) -> int:
    try:
        return int(urllib.request.urlopen(url, timeout=2).status)
    except urllib.error.HTTPError as error:
        return error.code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_image_is_multi_stage_slim_python_of_the_locked_version() -> None:
    bases = [arguments.split()[0] for _, name, arguments in instructions() if name == "FROM"]
    assert len(bases) >= 2, "build in one stage, run in another"
    version = re.search(r"--python-version (\d+\.\d+)", lock_command())
    assert version is not None, "lock for the image's Python version (--python-version)"
    for base in bases:
        assert base.split("@")[0] == f"python:{version.group(1)}-slim"
    assert any("--from=" in copy and "/opt/venv" in copy for copy in final_stage("COPY")), "copy the venv"


def test_the_image_runs_as_a_user_it_creates() -> None:
    [user] = final_stage("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert any(re.search(rf"useradd\b.*\b{re.escape(user)}\b", run) for run in final_stage("RUN"))


def test_the_image_installs_from_the_lock_as_the_docs_say() -> None:
    docker = pip_installs([arguments for _, name, arguments in instructions() if name == "RUN"])
    documented = pip_installs(documented_block("### Installing from the lock"))
    assert docker == documented
    assert docker == [["--no-deps", "--require-hashes", "-r", "requirements.lock"], ["--no-deps", "."]]


def test_the_lock_is_made_the_way_the_docs_say() -> None:
    assert lock_command() in deploy_doc()
    assert "--generate-hashes" in lock_command()
    assert_every_pin_hashed(LOCK)


def test_the_tests_run_the_versions_the_image_ships() -> None:
    """CI and the README install the test lock, which must pin every runtime package exactly as
    requirements.lock does (it is made with that lock as constraints), plus the test extra."""
    command = lock_command(TEST_LOCK)
    assert command in deploy_doc()
    for part in ("--extra test", "--constraint requirements.lock", "--generate-hashes"):
        assert part in command
    python = re.search(r"--python-version \S+", command)
    assert python is not None and python.group(0) in lock_command(), "both locks for the image's Python"
    assert_every_pin_hashed(TEST_LOCK)
    runtime, test = lock_pins(LOCK), lock_pins(TEST_LOCK)
    drifted = {name: (pin, test.get(name)) for name, pin in runtime.items() if test.get(name) != pin}
    assert not drifted, f"requirements-test.lock disagrees with requirements.lock: regenerate it {drifted}"
    for line in project()["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in test and requirement.specifier.contains(test[name], prereleases=True), line

    ci = pip_installs(CI.read_text().splitlines())
    assert ci == [
        ["--no-deps", "--require-hashes", "-r", "requirements.lock"],
        ["--no-deps", "--require-hashes", "-r", "requirements-test.lock"],
        ["--no-deps", "-e", "."],
    ]
    readme = [line for line in (ROOT / "README.md").read_text().splitlines() if "pytest" in line]
    assert pip_installs(readme) == ci[1:], "the README's test command installs what CI installs"


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    pins = lock_pins()
    for line in project()["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: regenerate it (docs/deploy.md)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement}"
        )


def requirement_closure(pins: dict[str, str] | None = None) -> dict[str, str]:
    """Every distribution pyproject's dependencies lead to (name: who wants it), read from the
    installed metadata; with `pins`, only through distributions installed at the pinned version."""
    reached: dict[str, str] = {}
    pending = [(Requirement(line), "pyproject.toml") for line in project()["dependencies"]]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, wanted_by = pending.pop()
        name = canonicalize_name(requirement.name)
        reached.setdefault(name, wanted_by)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        try:
            installed = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if pins is not None and installed.version != pins.get(name):
            continue
        extras = requirement.extras or {""}
        for line in installed.requires or []:
            dependency = Requirement(line)
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                pending.append((dependency, f"{name}=={installed.version}"))
    return reached


def test_the_lock_is_complete_for_no_deps_installs() -> None:
    """`pip install --no-deps` trusts the lock to hold every dependency of every dependency
    (checked through the installed metadata wherever this environment has the locked version)."""
    pins = lock_pins()
    for name, wanted_by in requirement_closure(pins).items():
        assert name in pins, f"{name} (needed by {wanted_by}) is missing from requirements.lock"


def test_everything_the_bot_imports_is_declared_and_locked() -> None:
    imported: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"bot", "__future__"}
    providers = metadata.packages_distributions()
    reachable = requirement_closure()
    pins = lock_pins()
    for module in sorted(third_party):
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        assert distributions, f"bot imports {module}, which no installed distribution provides"
        assert distributions & reachable.keys(), f"bot imports {module}: add {distributions} to pyproject"
        assert distributions & pins.keys(), f"bot imports {module}: regenerate requirements.lock"


def test_dockerignore_keeps_secrets_out_and_build_inputs_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip()[:1] not in ("", "#")
    ]

    def ignored(path: str) -> bool:
        """Docker's rule: the last pattern matching the path or one of its parents decides."""
        verdict = False
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            negated = pattern.startswith("!")
            glob = pattern.lstrip("!").rstrip("/").replace("**/", "*")
            if any(fnmatch.fnmatchcase(prefix, glob) for prefix in prefixes):
                verdict = not negated
        return verdict

    copied = [
        source
        for arguments in (a for _, name, a in instructions() if name == "COPY" and "--from=" not in a)
        for source in shlex.split(arguments)[:-1]
    ]
    assert copied, "the Dockerfile copies nothing from the build context"
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert not ignored(source), f".dockerignore leaves out {source}, which the image build copies"
    assert not ignored("bot/store/migrations/versions/0001_initial.py")
    for secret_or_junk in (".env", ".git/config", ".venv/bin/python", "bot.db", "tests/conftest.py"):
        assert ignored(secret_or_junk), f".dockerignore must keep {secret_or_junk} out of the build context"
    assert ignored("bot/__pycache__/app.cpython-311.pyc")


def test_the_image_and_fly_agree_on_port_health_and_command() -> None:
    config = fly()
    service = config["http_service"]
    [expose] = final_stage("EXPOSE")
    default_port = Settings.model_fields["port"].default
    assert (
        service["internal_port"]
        == int(expose)
        == default_port
        == int(config["env"].get("PORT", default_port))
    )
    assert service["force_https"] is True
    assert [check["path"] for check in service["checks"]] == ["/healthz"]
    metrics_port = int(config["env"].get("METRICS_PORT", Settings.model_fields["metrics_port"].default))
    assert config["metrics"] == {"port": metrics_port, "path": "/metrics"}, "Fly scrapes the internal port"
    assert metrics_port != service["internal_port"], "/metrics must not be on the public port"
    assert "/healthz" in " ".join(healthcheck_command())
    assert exec_form(final_stage("CMD")[0]) == ["bot", "serve"]


def test_fly_keeps_a_machine_up_and_waits_for_replies_in_flight() -> None:
    """A cold start can't answer within Slack's 3 seconds; a SIGKILL mid-answer leaves it cut off."""
    config = fly()
    service = config["http_service"]
    assert service["auto_stop_machines"] in ("off", False) or service.get("min_machines_running", 0) >= 1
    grace = float(
        config["env"].get("SHUTDOWN_GRACE_SECONDS", Settings.model_fields["shutdown_grace_seconds"].default)
    )
    assert config["kill_signal"] in ("SIGTERM", "SIGINT"), "the bot drains on SIGTERM and SIGINT only"
    assert int(config["kill_timeout"]) >= grace + INTERRUPTED_NOTE_SECONDS


async def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


def container_env(tmp_path: Path, port: int) -> dict[str, str]:
    """What a Fly machine's container gets: the image's ENV, fly.toml's [env], and secrets."""
    inherited = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    return {
        **inherited,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **image_env(),
        **fly()["env"],
        "SLACK_BOT_TOKEN": "xoxb-1111-2222-container",
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "ANTHROPIC_API_KEY": "sk-ant-api03-container",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
    }


def script(command: list[str]) -> list[str]:
    """The image finds its programs in the venv's bin; so does this test, in the test venv's."""
    found = BIN / command[0]
    assert found.exists(), f"{command[0]} is not in {BIN}: is the project installed in this venv?"
    return [str(found), *command[1:]]


async def test_the_release_command_migrates(tmp_path: Path) -> None:
    env = container_env(tmp_path, free_port())
    code, out = await run(script(shlex.split(fly()["deploy"]["release_command"])), env, tmp_path)
    assert code == 0, out
    assert "Database is up to date: revision" in out


async def test_the_container_command_starts_the_app(tmp_path: Path) -> None:
    port = free_port()
    env = container_env(tmp_path, port)
    log = tmp_path / "bot.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *script(exec_form(final_stage("CMD")[0])), env=env, cwd=tmp_path, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.returncode is None, f"the bot exited during start-up: {log.read_text()}"
            try:
                status = await asyncio.to_thread(
                    lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
                )
            except OSError:
                status = None
            if status == 200:
                break
            assert time.monotonic() < deadline, "no /healthz 200 within 30 s"
            await asyncio.sleep(0.1)

        code, out = await run(script(healthcheck_command()), env, tmp_path)
        assert code == 0, f"the image's HEALTHCHECK fails against a healthy bot: {out}"
        for port_name, path, expected in (("PORT", "/metrics", 404), ("METRICS_PORT", "/metrics", 200)):
            url = f"http://127.0.0.1:{env[port_name]}{path}"
            assert await asyncio.to_thread(status_of, url) == expected, url

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()

    code, _ = await run(script(healthcheck_command()), env, tmp_path)
    assert code != 0, "the HEALTHCHECK must fail when nothing answers"
