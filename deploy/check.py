#!/usr/bin/env python3
"""Dry checks of the deploy kit, run by .ci/run (no container engine runs in CI):

- compose.yaml parses, has its three services, and every SPBE_DESK_* variable it sets names a
  key the daemon knows (the daemon refuses unknown keys at start);
- the Dockerfile's instructions are known, every COPY --from names an earlier stage, every
  COPY source exists, the last stage has an ENTRYPOINT, and its SPBE_DESK_* names are known;
- the nginx example passes `nginx -t` (with a throw-away certificate in place of the real one);
- the systemd unit has its sections and runs `spbe-desk serve`.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
failures = []


def fail(msg):
    failures.append(msg)


def known_keys():
    with open(os.path.join(ROOT, "config", "default.toml"), "rb") as f:
        cfg = tomllib.load(f)
    keys = set()
    for section, values in cfg.items():
        for key, value in values.items():
            keys.add(f"{section}__{key}".upper())
    return keys


KEYS = known_keys()


def check_env(name, where):
    if name.startswith("SPBE_DESK_") and name != "SPBE_DESK_CONFIG":
        if name[len("SPBE_DESK_"):] not in KEYS:
            fail(f"{where}: {name} names no configuration key")


def compose():
    with open(os.path.join(DEPLOY, "compose.yaml")) as f:
        doc = yaml.safe_load(f)
    services = doc.get("services", {})
    for s in ("postgres", "mailpit", "spbe-desk"):
        if s not in services:
            fail(f"compose.yaml: no service {s}")
    desk = services.get("spbe-desk", {})
    for name in desk.get("environment", {}):
        check_env(name, "compose.yaml")
    build = desk.get("build", {})
    dockerfile = os.path.normpath(os.path.join(DEPLOY, build.get("context", "."), build.get("dockerfile", "")))
    if not os.path.isfile(dockerfile):
        fail(f"compose.yaml: build file {dockerfile} missing")
    for dep in desk.get("depends_on", {}):
        if dep not in services:
            fail(f"compose.yaml: depends on unknown service {dep}")


INSTRUCTIONS = {"FROM", "RUN", "COPY", "WORKDIR", "ENV", "EXPOSE", "VOLUME", "USER", "ENTRYPOINT",
                "CMD", "HEALTHCHECK", "ARG", "LABEL", "ADD", "SHELL", "STOPSIGNAL", "ONBUILD"}


def dockerfile():
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        text = f.read()
    lines = re.sub(r"\\\n", " ", text).splitlines()
    stages, last_stage_has_entry = [], False
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word not in INSTRUCTIONS:
            fail(f"Dockerfile: unknown instruction {word}")
            continue
        if word == "FROM":
            m = re.match(r"\S+(\s+AS\s+(\S+))?", rest, re.I)
            stages.append(m.group(2) if m and m.group(2) else None)
            last_stage_has_entry = False
        elif word == "COPY":
            args = rest.split()
            if args and args[0].startswith("--from="):
                if args[0][len("--from="):] not in stages[:-1]:
                    fail(f"Dockerfile: COPY {args[0]} names no earlier stage")
            else:
                for src in args[:-1]:
                    if not os.path.exists(os.path.join(ROOT, src)):
                        fail(f"Dockerfile: COPY source {src} missing")
        elif word == "ENV":
            for name in re.findall(r"(SPBE_DESK_[A-Z0-9_]+)=", rest):
                check_env(name, "Dockerfile")
        elif word == "ENTRYPOINT":
            last_stage_has_entry = True
    if len(stages) < 2:
        fail("Dockerfile: not a multi-stage build")
    if not last_stage_has_entry:
        fail("Dockerfile: the last stage has no ENTRYPOINT")


def nginx():
    binary = shutil.which("nginx")
    if not binary:
        fail("nginx is not installed: cannot check deploy/nginx/spbe-desk.conf")
        return
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=servicedesk.test", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        with open(os.path.join(DEPLOY, "nginx", "spbe-desk.conf")) as f:
            site = f.read()
        site = site.replace("/etc/ssl/spbe-desk/fullchain.pem", cert).replace("/etc/ssl/spbe-desk/privkey.pem", key)
        with open(os.path.join(d, "site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(f"pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n"
                    f"http {{\n access_log off;\n include {d}/site.conf;\n}}\n")
        r = subprocess.run([binary, "-t", "-q", "-c", os.path.join(d, "nginx.conf"), "-p", d],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"nginx -t: {r.stderr.strip()}")


def systemd():
    with open(os.path.join(DEPLOY, "spbe-desk.service")) as f:
        text = f.read()
    for section in ("[Unit]", "[Service]", "[Install]"):
        if section not in text:
            fail(f"spbe-desk.service: no {section}")
    if "ExecStart=/usr/local/bin/spbe-desk serve" not in text:
        fail("spbe-desk.service: ExecStart does not run spbe-desk serve")


compose()
dockerfile()
nginx()
systemd()
if failures:
    for f in failures:
        print("deploy check:", f, file=sys.stderr)
    sys.exit(1)
print("deploy kit: compose.yaml, Dockerfile, nginx and systemd files check out")
