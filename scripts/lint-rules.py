"""The house rules scripts/lint checks: who may import what, who may see the composition root, that the
manifest declares exactly what each target imports, and that the README's Python parses and its layout
section matches the package."""
import ast
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEM = {"Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Synchronization", "Testing", "XCTest"}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|typealias|var|let)\s+)?(\w+)", re.M)
findings = []


def swift_files(*patterns):
    for pattern in patterns:
        yield from sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True))


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def code_only(text):
    """The text without comments and string literals, so a rule never matches prose."""
    text = re.sub(r'"""[\s\S]*?"""', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"//[^\n]*", "", text)


def rel(path):
    return os.path.relpath(path, ROOT)


def rule(paths, check, message):
    for path in paths:
        text = read(path)
        for bad in check(text):
            findings.append(f"{rel(path)}: {message}: {bad}")


def imports(text):
    return set(IMPORT.findall(text))


# Core is value types and rules: Foundation only, and Crypto for the signed links' HMAC (computation, no I/O).
rule(swift_files("Sources/EaselCore/**/*.swift"), lambda t: sorted(imports(t) - {"Foundation", "Crypto"}),
     "EaselCore imports only Foundation and Crypto")
# Providers never touch the database.
rule(swift_files("Sources/EaselProviders/**/*.swift"), lambda t: sorted(imports(t) & {"EaselStore", "SQLKit", "SQLiteKit"}),
     "providers never touch the database")
# Services, workers and events import no HTTP types.
rule(swift_files("Sources/EaselServer/Services/**/*.swift", "Sources/EaselServer/Worker/**/*.swift", "Sources/EaselServer/Events/**/*.swift"),
     lambda t: sorted(imports(t) & {"Hummingbird", "HummingbirdCore", "HTTPTypes", "NIOHTTP1"}), "services import no HTTP types")
# Controllers call services, never stores.
rule(swift_files("Sources/EaselServer/Controllers/**/*.swift"),
     lambda t: sorted((imports(t) & {"EaselStore", "SQLKit"}) | set(re.findall(r"\b\w*Store\b", code_only(t)))),
     "controllers never call a store")
# The composition root is handed to nobody: only the app builder, the CLI and tests see it.
rule([p for p in swift_files("Sources/**/*.swift") if not rel(p).startswith(("Sources/EaselServer/App/", "Sources/easel/"))],
     lambda t: ["EaselRuntime"] if re.search(r"\bEaselRuntime\b", code_only(t)) else [], "only the composition root knows EaselRuntime")
# Handlers get their identity from the context, never by asking for it.
rule(swift_files("Sources/EaselServer/**/*.swift"), lambda t: re.findall(r"requireIdentity\(", code_only(t)),
     "identity comes from AuthenticatedContext")

# The manifest declares exactly the modules each Swift target imports.
package = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
module_names = {target["name"] for target in package["targets"]}
for target in package["targets"]:
    if target["type"] == "system":
        continue
    path = target.get("path") or ("Tests/" if target["type"] == "test" else "Sources/") + target["name"]
    files = glob.glob(os.path.join(ROOT, path, "**/*.swift"), recursive=True)
    if not files:
        continue
    declared = set()
    for dependency in target["dependencies"]:
        for kind, value in dependency.items():
            declared.add(value[0])
    used = set().union(*(imports(read(f)) for f in files)) - SYSTEM
    for name in sorted(used - declared):
        findings.append(f"Package.swift: target {target['name']} imports {name} but does not declare it")
    for name in sorted(declared - used):
        findings.append(f"Package.swift: target {target['name']} declares {name} but never imports it")

# The README: its Python parses, its layout names every module, and it links nothing outside the repository.
readme = read(os.path.join(ROOT, "README.md"))
for index, block in enumerate(re.findall(r"```python\n(.*?)```", readme, re.S)):
    try:
        ast.parse(block)
    except SyntaxError as error:
        findings.append(f"README.md: Python example {index + 1} does not parse: {error}")
layout = readme.split("## Layout", 1)[-1] if "## Layout" in readme else ""
for name in sorted(module_names):
    if f"`{name}`" not in layout:
        findings.append(f"README.md: the layout section does not list module {name}")
for link in re.findall(r"\]\(([^)]+)\)", readme):
    if link.startswith("../") or "/shared/" in link:
        findings.append(f"README.md: links outside the repository: {link}")
    elif not link.startswith(("http://", "https://", "#")) and not os.path.exists(os.path.join(ROOT, link.split("#")[0])):
        findings.append(f"README.md: links a file that does not exist: {link}")

for finding in findings:
    print("lint:", finding, file=sys.stderr)
sys.exit(1 if findings else 0)
