"""Check a Dockerfile against the image rules of deploy/Dockerfile.

Usage: python dockerfile_rules.py DOCKERFILE...

The rules:
- at least two stages, a build stage and a runtime stage;
- every FROM names an image with an explicit tag or digest, and the tag is
  not "latest" (a FROM of an earlier stage needs neither);
- the final stage sets USER to a numeric user id other than 0;
- the final stage has an ENTRYPOINT in exec (JSON array) form.

It prints one line per violation and exits 1 when there is any.
"""

import json
import re
import sys

from dockerfile_parse import DockerfileParser

# One --flag=value option before a FROM image, such as --platform=$BUILDPLATFORM.
FLAG = re.compile(r"^--[a-z-]+=\S+$")


def check(path):
    """Check the Dockerfile at path and return its rule violations."""
    with open(path, encoding="utf-8") as handle:
        parser = DockerfileParser(fileobj=handle)
        structure = parser.structure

    problems = []
    stages = []  # one list of instructions per stage
    stage_names = set()
    for instruction in structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
            problems.extend(check_from(path, instruction, stage_names))
        elif stages:
            stages[-1].append(instruction)

    if len(stages) < 2:
        problems.append(f"{path}: {len(stages)} stage(s); use a multi-stage build (build stage, then runtime stage)")
    if not stages:
        return problems

    final = stages[-1]
    users = [i for i in final if i["instruction"] == "USER"]
    if not users:
        problems.append(f"{path}: the final stage has no USER; set a numeric non-root user such as USER 10001:10001")
    else:
        user = users[-1]["value"].split(":")[0].strip()
        if not user.isdigit():
            problems.append(f"{path}:{users[-1]['startline'] + 1}: USER {user!r} is not numeric; Kubernetes runAsNonRoot needs a numeric user id")
        elif int(user) == 0:
            problems.append(f"{path}:{users[-1]['startline'] + 1}: USER 0 is root; use a non-zero user id")

    entrypoints = [i for i in final if i["instruction"] == "ENTRYPOINT"]
    if not entrypoints:
        problems.append(f"{path}: the final stage has no ENTRYPOINT")
    else:
        value = entrypoints[-1]["value"]
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, list) or not parsed:
            problems.append(f"{path}:{entrypoints[-1]['startline'] + 1}: ENTRYPOINT {value!r} is not in exec form; use a JSON array so that the process gets SIGTERM")
    return problems


def check_from(path, instruction, stage_names):
    """Check one FROM line, record its stage name and return its violations."""
    line = instruction["startline"] + 1
    words = [w for w in instruction["value"].split() if not FLAG.match(w)]
    if not words:
        return [f"{path}:{line}: FROM without an image"]

    image = words[0]
    if len(words) >= 3 and words[1].lower() == "as":
        stage_names.add(words[2].lower())
    if image.lower() in stage_names:
        return []

    if "@sha256:" in image:
        return []
    last_part = image.rsplit("/", 1)[-1]
    if ":" not in last_part:
        return [f"{path}:{line}: FROM {image} has no tag; pin a version such as {image}:1.2"]
    tag = last_part.split(":", 1)[1]
    if tag == "latest":
        return [f"{path}:{line}: FROM {image} uses the tag latest; pin a version"]
    return []


def main(paths):
    if not paths:
        print("usage: dockerfile_rules.py DOCKERFILE...", file=sys.stderr)
        return 2

    problems = []
    for path in paths:
        problems.extend(check(path))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    for path in paths:
        print(f"ok -- {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
