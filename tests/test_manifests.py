"""Every file in manifests/ (and the Dockerfile) parses, has the fields its format requires, and
names a command, arguments, headers and probes that really start and reach quant-mcp.

Commands are run the way a client would, with two substitutions: ``uvx quant-mcp ARGS`` runs
the ``quant-mcp`` script installed in this environment (what uvx would fetch), and addresses
become loopback ones (the simulator as the Quant API, a free port for HTTP).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client, StdioServerParameters

from quant_mcp import __version__
from quant_mcp.http import ORGANIZATION_HEADERS, TOKEN_HEADER
from tests.conftest import TEST_ORG, TEST_TOKEN, text_of
from tests.http.conftest import CLIENT_TOKEN, connect, free_port, http_service, loopback_socket, wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "manifests"
CLIENTS = MANIFESTS / "clients"
KUBERNETES = MANIFESTS / "kubernetes"
QUANT_MCP = str(Path(sys.executable).with_name("quant-mcp"))
HEALTHCHECK = MANIFESTS / "docker" / "healthcheck.py"
EXAMPLE_ORIGIN = "https://mcp.example.com"

# What the placeholders in the snippets stand for, by name.
VALUES = {"QUANT_API_TOKEN": TEST_TOKEN, "QUANT_ORGANIZATION": TEST_ORG, "QUANT_MCP_TOKEN": CLIENT_TOKEN}
PLACEHOLDER = re.compile(r"<([A-Z_]+)>|\$\{(?:env:|input:)?([A-Za-z_-]+)\}")


def fill(text: str, values: dict[str, str] = VALUES) -> str:
    """Replace ``<NAME>``, ``${NAME}``, ``${env:NAME}`` and ``${input:name}`` placeholders."""

    def value(match: re.Match[str]) -> str:
        name = (match.group(1) or match.group(2)).upper().replace("-", "_")
        return values[name]

    return PLACEHOLDER.sub(value, text)


def load(path: Path) -> Any:
    if path.suffix == ".json":
        return json.loads(path.read_text())
    documents = list(yaml.safe_load_all(path.read_text()))
    return documents[0] if len(documents) == 1 else documents


def quant_server(snippet: dict[str, Any]) -> dict[str, Any]:
    """The snippet's one server entry (VS Code calls the map "servers", the others "mcpServers")."""
    servers = snippet.get("mcpServers") or snippet["servers"]
    assert list(servers) == ["quant"]
    return servers["quant"]


def kube(name: str) -> dict[str, Any]:
    return load(KUBERNETES / f"{name}.yaml")


def quant_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")} | extra


# ----------------------------------------------------------------------------- parsing and fields


def test_every_manifest_parses():
    files = [p for p in MANIFESTS.rglob("*") if p.suffix in (".json", ".yaml")]
    assert len(files) >= 17
    for path in files:
        assert load(path), path


def test_server_json_has_what_the_registry_requires():
    server = load(MANIFESTS / "server.json")
    assert server["$schema"].startswith("https://static.modelcontextprotocol.io/schemas/")
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", server["name"])
    assert 1 <= len(server["description"]) <= 100
    assert server["version"] == __version__
    assert server["repository"]["url"] and server["repository"]["source"] == "github"
    for package in server["packages"]:
        assert {"registryType", "identifier", "transport"} <= package.keys()
        assert package["transport"]["type"] == "stdio"
        if package["registryType"] == "pypi":
            assert package["version"] == __version__
        if package["registryType"] == "oci":
            assert package["identifier"].endswith(f":{__version__}")
        variables = {v["name"]: v for v in package["environmentVariables"]}
        assert variables["QUANT_API_TOKEN"]["isSecret"] and variables["QUANT_API_TOKEN"]["isRequired"]
    [remote] = server["remotes"]
    assert remote["type"] == "streamable-http" and remote["url"].endswith("/mcp")
    assert set(re.findall(r"\{(\w+)\}", remote["url"])) == set(remote["variables"])
    headers = {h["name"]: h for h in remote["headers"]}
    assert {"Authorization", TOKEN_HEADER, ORGANIZATION_HEADERS[0]} == set(headers)
    assert headers["Authorization"]["isSecret"] and headers[TOKEN_HEADER]["isSecret"]


def test_mcpb_manifest_has_the_required_fields():
    manifest = load(MANIFESTS / "mcpb" / "manifest.json")
    assert {"manifest_version", "name", "version", "description", "author", "server"} <= manifest.keys()
    assert manifest["version"] == __version__ and manifest["author"]["name"]
    server = manifest["server"]
    # uv installs the dependencies' wheels for the user's platform and Python: nothing compiled is packed.
    assert server["type"] == "uv" and manifest["manifest_version"] >= "0.4"
    assert (MANIFESTS / "mcpb" / server["entry_point"]).is_file()
    assert server["mcp_config"]["command"] == "uv" and server["entry_point"] in server["mcp_config"]["args"]
    used = set(re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(server["mcp_config"])))
    assert used == set(manifest["user_config"])
    assert manifest["user_config"]["api_token"]["sensitive"] is True
    assert set(manifest["compatibility"]["platforms"]) == {"darwin", "win32", "linux"}
    assert (
        manifest["compatibility"]["runtimes"]["python"]
        == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    )


def test_client_snippets_name_the_server_the_same_way():
    for path in sorted(CLIENTS.glob("*.json")):
        snippet = load(path)
        assert quant_server(snippet), path
        for variable in re.findall(r"\$\{input:([\w-]+)\}", path.read_text()):
            assert variable in {i["id"] for i in snippet["inputs"]}, (path, variable)


def test_kubernetes_manifests_fit_together():
    names = ("deployment", "service", "hpa", "networkpolicy", "secret.example")
    deployment, service, hpa, policy, secret = documents = [kube(n) for n in names]
    assert {d["metadata"]["namespace"] for d in documents} == {kube("namespace")["metadata"]["name"]}
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    [container] = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys() & container["resources"]["limits"].keys()
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True and pod["spec"]["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert "--stateless" in container["args"]  # replicas behind a Service share no session state
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert [rule["ports"][0]["port"] for rule in policy["spec"]["ingress"]] == list(ports.values())
    for entry in container["env"]:
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
    applied = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kube("kustomization")["resources"]) == applied


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", dockerfile, re.M)
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile
    assert re.search(r'^ENTRYPOINT \["quant-mcp"\]$', dockerfile, re.M) and re.search(r'^CMD \["serve"\]$', dockerfile, re.M)
    assert kube("deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert f"!{path}" in ignored or f"!{path}/" in ignored, f"{path} is not in the build context"


# ----------------------------------------------------------------------------- the commands really start the server


def stdio_launches() -> dict[str, tuple[str, list[str], dict[str, str]]]:
    """Every stdio launch the manifests describe: (command, args, env) as a client would run it."""
    launches = {}
    for path in sorted(CLIENTS.glob("*.stdio.json")):
        server = quant_server(load(path))
        launches[path.name] = (server["command"], server["args"], {k: fill(v) for k, v in server["env"].items()})
    pypi = next(p for p in load(MANIFESTS / "server.json")["packages"] if p["registryType"] == "pypi")
    launches["server.json:pypi"] = (
        pypi["runtimeHint"],
        [pypi["identifier"], *(a["value"] for a in pypi["packageArguments"])],
        {"QUANT_API_TOKEN": TEST_TOKEN, "QUANT_ORGANIZATION": TEST_ORG},
    )
    return launches


def runnable(command: str, args: list[str]) -> tuple[str, list[str]]:
    """uvx quant-mcp ARGS -> this environment's quant-mcp script; python3 -> this interpreter."""
    if command == "uvx":
        assert args[0] == "quant-mcp"
        return QUANT_MCP, args[1:]
    if command in ("python", "python3"):
        return sys.executable, args
    raise AssertionError(f"unexpected command {command!r}")


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(stdio_launches()))
async def test_stdio_launch_starts_the_server(simulator, name):
    command, args = runnable(*stdio_launches()[name][:2])
    env = stdio_launches()[name][2] | {"QUANT_BASE_URL": simulator.base_url}
    async with Client(StdioServerParameters(command=command, args=args, env=env)) as client:
        assert "list_models" in {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("list_models", {})
        assert not result.is_error, text_of(result)


def http_targets() -> dict[str, tuple[str, dict[str, str]]]:
    """Every HTTP connection the manifests describe: (url, headers) as a client would send them."""
    targets = {}
    for path in sorted(CLIENTS.glob("*.http.json")):
        server = quant_server(load(path))
        if server.get("command") == "npx":  # Claude Desktop bridges to HTTP through mcp-remote
            args = server["args"]
            assert args[:2] == ["-y", "mcp-remote"]
            env = {k: fill(v) for k, v in server["env"].items()}
            pairs = [args[i + 1] for i, arg in enumerate(args) if arg == "--header"]
            headers = dict(fill(pair, env).split(":", 1) for pair in pairs)
            targets[path.name] = (args[2], headers)
        else:
            targets[path.name] = (server["url"], {k: fill(v) for k, v in server["headers"].items()})
    [remote] = load(MANIFESTS / "server.json")["remotes"]
    sample = {"Authorization": f"Bearer {CLIENT_TOKEN}", TOKEN_HEADER: TEST_TOKEN, ORGANIZATION_HEADERS[0]: TEST_ORG}
    url = remote["url"].replace("{host}", "mcp.example.com")
    targets["server.json:remote"] = (url, {h["name"]: sample[h["name"]] for h in remote["headers"]})
    return targets


@pytest.mark.anyio
async def test_http_snippets_reach_the_server(simulator):
    """One multi-tenant service (as deployed on Kubernetes); every snippet's URL path and headers work."""
    async with http_service(simulator, http_tenancy="multi", api_token=None, organization=None) as url:
        for name, (target, headers) in http_targets().items():
            assert target.startswith(EXAMPLE_ORIGIN), name
            async with connect(target.replace(EXAMPLE_ORIGIN, url).removesuffix("/mcp"), headers=headers) as client:
                result = await client.call_tool("list_models", {})
                assert not result.is_error, (name, text_of(result))
    assert {r.organisation for r in simulator.state.requests} == {TEST_ORG}


@pytest.mark.anyio
async def test_kubernetes_container_starts_and_passes_its_probes(simulator):
    """The Deployment's container (image ENTRYPOINT + args, env with the example Secret) on loopback."""
    [container] = kube("deployment")["spec"]["template"]["spec"]["containers"]
    secret = kube("secret.example")["stringData"]
    env = {e["name"]: e["value"] if "value" in e else secret[e["valueFrom"]["secretKeyRef"]["key"]] for e in container["env"]}
    port = free_port()
    args = [{"0.0.0.0": "127.0.0.1", "8000": str(port)}.get(a, a) for a in container["args"]]
    url = f"http://127.0.0.1:{port}"
    async with await anyio.open_process([QUANT_MCP, *args], env=quant_env(**env, QUANT_BASE_URL=simulator.base_url)) as process:
        try:
            await wait_until_ready(url, container["readinessProbe"]["httpGet"]["path"])
            await wait_until_ready(url, container["livenessProbe"]["httpGet"]["path"], seconds=1)
            healthcheck = await anyio.run_process([sys.executable, str(HEALTHCHECK), str(process.pid)], check=False)
            assert healthcheck.returncode == 0
            headers = {"Authorization": f"Bearer {secret['http-tokens']}", TOKEN_HEADER: TEST_TOKEN}
            headers[ORGANIZATION_HEADERS[0]] = TEST_ORG
            async with connect(url, headers=headers) as client:
                assert not (await client.call_tool("list_models", {})).is_error
        finally:
            process.terminate()
            await process.wait()


def test_healthcheck_passes_stdio_mode_and_fails_without_a_listener():
    stdio = subprocess.run([sys.executable, str(HEALTHCHECK), str(os.getpid())], check=False)  # pytest: not `--transport http`
    assert stdio.returncode == 0
    sock = loopback_socket()  # bound, never listening
    port = sock.getsockname()[1]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "--transport", "http", "--port", str(port)])
    try:
        assert subprocess.run([sys.executable, str(HEALTHCHECK), str(sleeper.pid)], check=False).returncode == 1
    finally:
        sleeper.kill()
        sleeper.wait()
        sock.close()


# ----------------------------------------------------------------------------- the image (needs a Docker engine)


def _docker_problem() -> str | None:
    if shutil.which("docker") is None:
        return "docker is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return "no Docker engine answers `docker info`: " + (info.stderr.strip().splitlines() or ["?"])[-1]
    return None


# How a build says it could not reach the base image's registry or the package index (Docker
# Hub, PyPI): an environment without that network, not a fault of the Dockerfile.
REGISTRY_FAILURES = re.compile(
    r"failed to resolve source metadata|failed to do request|error pulling image|pull access denied"
    r"|dial tcp[^\n]*|no such host|i/o timeout|TLS handshake timeout|network is unreachable"
    r"|Temporary failure in name resolution|Could not fetch URL[^\n]*|No matching distribution found for[^\n]*"
    r"|certificate signed by unknown authority|(?:Max retries exceeded|NewConnectionError)[^\n]*",
    re.I,
)


def registry_unreachable(output: str) -> str | None:
    """The line of a failed build that says a registry could not be reached, if one does."""
    for line in output.splitlines():
        if REGISTRY_FAILURES.search(line):
            return line.strip()[:300]
    return None


def test_a_build_that_cannot_reach_a_registry_is_told_from_a_broken_one():
    offline = [
        "ERROR: failed to solve: python:3.11-slim: failed to resolve source metadata for docker.io/library/python:3.11-slim: "
        'failed to do request: Head "https://registry-1.docker.io/v2/library/python/manifests/3.11-slim": dial tcp: lookup '
        "registry-1.docker.io: no such host",
        'Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout',
        "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(...)': /simple/httpx/\n"
        "ERROR: No matching distribution found for httpx<1,>=0.28",
    ]
    for output in offline:
        assert registry_unreachable(output), output
    broken = [
        'ERROR: failed to solve: failed to compute cache key: "/quant_mcp": not found',
        "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device",
        "hatchling.build: ValueError: License file does not exist: LICENSE",
    ]
    for output in broken:
        assert registry_unreachable(output) is None, output


@pytest.mark.slow
@pytest.mark.anyio
async def test_docker_image_serves_tools_list_over_stdio(simulator):
    problem = _docker_problem()
    if problem:
        pytest.skip(f"cannot build or run the image here: {problem}")
    build = await anyio.run_process(["docker", "build", "-t", "quant-mcp:test", str(ROOT)], check=False)
    if build.returncode != 0 and (cause := registry_unreachable(build.stdout.decode() + build.stderr.decode())):
        pytest.skip(f"the image build cannot reach a registry here: {cause}")
    assert build.returncode == 0, build.stderr.decode()[-2000:]
    args = ["run", "-i", "--rm", "--network", "host"]
    args += ["-e", "QUANT_API_TOKEN", "-e", "QUANT_ORGANIZATION", "-e", "QUANT_BASE_URL", "quant-mcp:test"]
    env = {"QUANT_API_TOKEN": TEST_TOKEN, "QUANT_ORGANIZATION": TEST_ORG, "QUANT_BASE_URL": simulator.base_url}
    async with Client(StdioServerParameters(command="docker", args=args, env=env)) as client:
        assert "list_models" in {tool.name for tool in (await client.list_tools()).tools}
        assert not (await client.call_tool("list_models", {})).is_error


# ----------------------------------------------------------------------------- the desktop bundle, launched as a host would

BUNDLE_PYTHONS = ["3.11", "3.12", "3.13"]


def _python(version: str) -> str | None:
    """An interpreter of this minor version: on PATH, pyenv's, or the system's."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}"), *sorted(map(str, pyenv.glob(f"{version}.*/bin/python{version}")))]
    candidates.append(f"/usr/bin/python{version}")
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def _missing(reason: str) -> None:
    if os.environ.get("CI"):  # CI promises all three: a missing one is a failure there, not a skip
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle as a host unpacks it: QUANT_MCP_BUNDLE (scripts/mcpb.sh packs, validates and unpacks
    one), else staged here by scripts/build_mcpb.py."""
    if os.environ.get("QUANT_MCP_BUNDLE"):
        return Path(os.environ["QUANT_MCP_BUNDLE"])
    staged = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_mcpb.py"), str(tmp_path_factory.mktemp("mcpb") / "bundle")],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(staged.stdout.strip())


@pytest.mark.anyio
@pytest.mark.parametrize("version", BUNDLE_PYTHONS)
async def test_mcpb_bundle_runs_on_every_python_it_claims(simulator, bundle, tmp_path, version):
    """The manifest's own command and env, user_config filled in, with uv choosing this Python."""
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        _missing("uv is not installed (pip install uv)")
    python = _python(version)
    if python is None:
        _missing(f"no Python {version} here (uv python install {version}, pyenv, or the distribution's package)")
    manifest = load(bundle / "manifest.json")
    config = manifest["server"]["mcp_config"]
    defaults = {k: str(v["default"]).lower() for k, v in manifest["user_config"].items() if "default" in v}
    user = defaults | {"api_token": TEST_TOKEN, "organization": TEST_ORG}
    env = {k: re.sub(r"\$\{user_config\.(\w+)\}", lambda m: user[m.group(1)], v) for k, v in config["env"].items()}
    args = [arg.replace("${__dirname}", str(bundle)) for arg in config["args"]]
    assert args[0] == "run"
    args = ["run", "--python", python, *args[1:]]  # what the host's uv would pick, pinned to one version
    env = quant_env(**env, QUANT_BASE_URL=simulator.base_url, UV_PROJECT_ENVIRONMENT=str(tmp_path / "venv"))
    async with Client(StdioServerParameters(command=uv, args=args, env=env)) as client:
        assert "list_models" in {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("list_models", {})
        assert not result.is_error, text_of(result)
    ran = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "--version"], capture_output=True, text=True)
    assert ran.stdout.startswith(f"Python {version}."), ran
