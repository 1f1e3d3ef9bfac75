"""Run the documentation: every command and code block of README.md and docs/*.md, in order, in a scratch copy
of the repository; check (or, with --write, rewrite) the output shown under each command.

    .venv/bin/python -m tests.docs                 # check every document (exit status 1 when one is stale)
    .venv/bin/python -m tests.docs --write         # regenerate the output blocks (also: `make docs`)
    .venv/bin/python -m tests.docs docs/analyst.md # one document

What a document may hold, and what is done with it:

- a ```console block: lines `$ command` (a trailing `\\` continues a command on the next line), each followed by
  the output it prints (stdout and stderr together). A command that exits with a status other than 0 ends
  its output with `[exit status N]`. The commands of a document run one after the other in one shell, so a
  variable exported by one (`export KEY=...`) is seen by the next.
- a ```sh block: commands whose output is not shown; each must exit with status 0.
- a block after `<!-- docs: file PATH -->`: written to PATH (relative to the scratch copy) before the next
  command runs; a file that is there already is replaced.
- a ```sh block after `<!-- docs: background -->`: each command is started in the background (the HTTP
  server) and the run waits until `/readyz` answers (`<!-- docs: background tcp 8786 -->`: until that port
  accepts); they are stopped when the next background block starts or the document ends.
- a block after `<!-- docs: newcomer -->`: run only by the fresh-clone test (tests/test_newcomer.py).
- a block after `<!-- docs: generated NAME -->` ... `<!-- docs: end NAME -->`: text generated from the code
  (tests/docs_reference.py), rewritten by --write like any output.

Any other fenced block is an error: documentation cannot show code that nothing runs.

The server's port is 8000 in the text and a free port in the run (so is a Dask scheduler's 8786); `postgresql://postgres@127.0.0.1:5432/clearance`
is a fresh PostgreSQL database in the run. Output is compared with decision ids, keys, times, durations and
digests blanked (they change from run to run); --write keeps a block whose only differences are those.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (
    "README.md",
    "docs/analyst.md",
    "docs/integrator.md",
    "docs/rule-author.md",
    "docs/rule-language.md",
    "docs/operator.md",
    "docs/architecture.md",
    "docs/security.md",
    "docs/benchmarks.md",
    "examples/README.md",
)
COPIED = ("rules", "examples", "Makefile", "pyproject.toml")  # what a document's scratch copy holds
PORT = 8000  # the HTTP server's port in the text (a free port in the run)
PORTS = (PORT, 8786)  # every port the text names: 8786 is a Dask scheduler's
POSTGRES_IN_TEXT = "postgresql://postgres@127.0.0.1:5432/clearance"
POSTGRES_ADMIN = os.environ.get("CLEARANCE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
TIMEOUT = 300  # seconds for one command

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
DIRECTIVE = re.compile(r"<!-- docs: (\w+)(?: ([^>]*?))? -->\s*$")

VOLATILE = [
    (re.compile(r"\b[0-9a-f]{32}\b"), "<decision-id>"),
    (re.compile(r"\bclr_[0-9a-f]{16}_[A-Za-z0-9_-]+"), "<key>"),
    (re.compile(r"(?<=[ \"])[0-9a-f]{16}\b"), "<key-id>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\bsha256:[0-9a-f]{8,64}\b"), "sha256:<digest>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hash>"),
    (re.compile(r"\b\d[\d,.]* ?(?:s|ms|us)\b(?! \w)"), "<duration>"),
    (re.compile(r"\b\d[\d,.]* rows/s"), "<rate>"),
    (re.compile(r"\b\d+(?:\.\d+)?%(?= reading| validating| evaluating| explaining| writing)"), "<share>"),
]


def normalise(text: str) -> str:
    """The text with what changes from run to run blanked, and trailing spaces dropped."""
    for pattern, blank in VOLATILE:
        text = pattern.sub(blank, text)
    return "\n".join(line.rstrip() for line in text.splitlines())


@dataclass
class Block:
    """One fenced block of a document: its language, text, directive, and where it sits."""

    lang: str
    text: str
    start: int  # offset of the text in the document
    end: int
    line: int
    directive: str = ""
    argument: str = ""


@dataclass
class Command:
    text: str
    shown: str  # the output the document shows


GENERATED = re.compile(r"<!-- docs: generated (\S+) -->\n(.*?)<!-- docs: end \1 -->", re.S)


def blocks(document: str) -> list[Block]:
    """The fenced blocks of a document, outside the generated parts."""
    found = []
    generated = [(m.start(), m.end()) for m in GENERATED.finditer(document)]
    for match in FENCE.finditer(document):
        if any(start <= match.start() < end for start, end in generated):
            continue
        before = document[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        directive = DIRECTIVE.search(before)
        found.append(
            Block(
                match.group(1),
                match.group(2),
                match.start(2),
                match.end(2),
                document.count("\n", 0, match.start()) + 1,
                directive.group(1) if directive else "",
                (directive.group(2) or "") if directive else "",
            )
        )
    return found


def commands(text: str) -> list[Command]:
    """The commands of a console block, each with the output shown under it."""
    found: list[Command] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise ValueError(f"console block: `{lines[i]}` is neither a command nor under one")
        command = [lines[i][2:]]
        while command[-1].endswith("\\"):
            i += 1
            command.append(lines[i])
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        found.append(Command("\n".join(command), "\n".join(shown)))
    return found


def sh_commands(text: str) -> list[str]:
    """The commands of a sh block (comments and blank lines dropped, `\\` continuations joined)."""
    found: list[str] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line + "\n"
        if not line.endswith("\\"):
            found.append(pending.rstrip("\n"))
            pending = ""
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres() -> str | None:
    """A new, empty PostgreSQL database, or None on a machine without PostgreSQL (an error in CI)."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise
        return None
    name = f"clearance_docs_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@dataclass
class Shell:
    """One bash process for a whole document, in its scratch copy; commands run one at a time."""

    workspace: Path
    postgres: str | None
    newcomer: bool = False  # a fresh clone: no test environment on PATH, and time for `make run` to install
    ports: dict[int, int] = field(default_factory=lambda: {port: free_port() for port in PORTS})
    scratch: Path = field(init=False)
    process: subprocess.Popen[str] = field(init=False)
    background: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="clearance-docs-out-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARANCE_", "VIRTUAL_ENV", "PYTHON"))}
        ours = str(Path(sys.executable).parent)
        path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry != ours]
        env["PATH"] = os.pathsep.join(path if self.newcomer else [ours, *path])
        if not self.newcomer:  # the code of this checkout, whichever checkout the environment was installed from
            env["PYTHONPATH"] = str(ROOT)
        env["COLUMNS"] = "120"
        env["TERM"] = "dumb"
        env["NO_COLOR"] = "1"
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.workspace,
            env=env,
            text=True,
            start_new_session=True,
        )

    @property
    def port(self) -> int:
        return self.ports[PORT]

    def to_run(self, text: str) -> str:
        """The text as run: free ports for the ports it names, the fresh database for the one it names."""
        for shown, real in self.ports.items():
            text = re.sub(rf"(?<=:){shown}\b", str(real), text)
            text = re.sub(rf"(--port ){shown}\b", rf"\g<1>{real}", text)
        text = re.sub(r"\bclearance serve\b(?![^\n]*--port)", f"clearance serve --port {self.port}", text)
        text = re.sub(r"\bmake run\b", f"make run PORT={self.port}", text)
        if self.postgres:
            text = text.replace(POSTGRES_IN_TEXT, self.postgres)
        return text

    def to_show(self, text: str) -> str:
        text = text.replace(str(self.workspace), ".")
        for shown, real in self.ports.items():
            text = text.replace(f":{real}", f":{shown}")
        if self.postgres:
            text = text.replace(self.postgres, POSTGRES_IN_TEXT)
        return text

    def _send(self, script: str) -> str:
        marker = f"__docs_{uuid.uuid4().hex}__"
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{script}\necho {marker}$?\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + TIMEOUT
        while True:
            ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"`{script}` did not finish in {TIMEOUT} s")
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the shell exited")
            if line.startswith(marker):
                return line[len(marker) :].strip()

    def run(self, command: str) -> tuple[int, str]:
        out = self.scratch / "out"
        status = self._send(f"{{ {self.to_run(command)}\n}} >{out} 2>&1 </dev/null")
        return int(status), self.to_show(out.read_text(errors="replace"))

    def start(self, command: str) -> None:
        """Start a command in the background (a server)."""
        log = self.scratch / f"background-{len(self.background)}.log"
        self._send(f"setsid bash -c {shquote(self.to_run(command))} >{log} 2>&1 </dev/null & DOCS_PID=$!")
        self.background.append(int(self._read_var("DOCS_PID")))

    def wait(self, port: int | None = None) -> None:
        """Wait until the HTTP server answers /readyz, or until `port` (as the text names it) accepts."""
        deadline = time.monotonic() + (1200 if self.newcomer else 120)
        while not (self._listening(self.ports[port]) if port else self._ready()):
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text()[-2000:] for p in sorted(self.scratch.glob("background-*.log")))
                raise RuntimeError(f"the background command did not start: {logs}")
            time.sleep(0.2)

    def _read_var(self, name: str) -> str:
        value = self.scratch / "var"
        self._send(f'printf %s "${name}" >{value}')
        return value.read_text()

    def _ready(self) -> bool:
        import httpx

        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for pid in self.background:
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.killpg(pid, signal.SIGKILL)
        self.background.clear()
        while any(self._listening(port) for port in self.ports.values()):
            time.sleep(0.1)

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def close(self) -> None:
        self.stop()
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process.stdout.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def shquote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@contextmanager
def workspace() -> Iterator[Path]:
    """A scratch copy of what the documents work on (rules, examples, the Makefile)."""
    with tempfile.TemporaryDirectory(prefix="clearance-docs-") as tmp:
        root = Path(tmp) / "clearance"
        root.mkdir()
        for name in COPIED:
            source = ROOT / name
            if not source.exists():
                continue
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, root / name)
        # the virtual environment `make` creates: this one's contents, and stamps that tell `make` it is
        # installed, so that `make run` never installs the scratch copy into it
        venv = root / ".venv"
        venv.mkdir()
        for entry in Path(sys.prefix).iterdir():
            if not entry.name.startswith("."):
                (venv / entry.name).symlink_to(entry)
        (venv / ".installed").touch()
        (venv / ".installed-dev").touch()
        if (root / "pyproject.toml").exists():
            os.utime(root / "pyproject.toml", (0, 0))
        yield root


class NoPostgres(Exception):
    """A document with PostgreSQL examples, on a machine without PostgreSQL (outside CI)."""


@dataclass
class Problem:
    document: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.message}"


def run_document(
    name: str,
    write: bool = False,
    generated: Callable[[str], str] | None = None,
    clone: Path | None = None,
) -> list[Problem]:
    """Run one document in a scratch copy of the repository (or, for the newcomer's path, in `clone`, a fresh
    clone, as a newcomer would); return what disagrees (rewriting the document instead when `write`)."""
    path = (clone or ROOT) / name
    document = path.read_text()
    problems: list[Problem] = []
    edits: list[tuple[int, int, str]] = []
    uses_postgres = POSTGRES_IN_TEXT in document
    postgres = fresh_postgres() if uses_postgres else None
    if uses_postgres and postgres is None:
        raise NoPostgres(f"{name} runs PostgreSQL examples, and there is no PostgreSQL at {POSTGRES_ADMIN}")
    try:
        with workspace() if clone is None else nullcontext(clone) as root:
            shell = Shell(root, postgres, newcomer=clone is not None)
            try:
                for block in blocks(document):
                    problems += _run_block(name, block, shell, root, edits)
            finally:
                shell.close()
    finally:
        if postgres:
            drop_postgres(postgres)
    if generated is not None:
        for match in GENERATED.finditer(document):
            now = generated(match.group(1))
            if now != match.group(2):
                edits.append((match.start(2), match.end(2), now))
                line = document.count("\n", 0, match.start()) + 1
                problems.append(Problem(name, line, f"generated `{match.group(1)}` is out of date"))
    if write and edits:
        for start, end, text in sorted(edits, reverse=True):
            document = document[:start] + text + document[end:]
        path.write_text(document)
    return problems


def _run_block(name: str, block: Block, shell: Shell, root: Path, edits: list[tuple[int, int, str]]) -> list[Problem]:
    problems: list[Problem] = []
    if block.directive == "newcomer":
        return []
    if block.directive == "file":
        target = root / block.argument
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(shell.to_run(block.text))
        return []
    if block.directive == "background":
        shell.stop()
        for command in sh_commands(block.text):
            shell.start(command)
        shell.wait(int(block.argument.split()[-1]) if block.argument else None)
        return []
    if block.lang == "sh":
        for command in sh_commands(block.text):
            status, output = shell.run(command)
            if status != 0:
                problems.append(Problem(name, block.line, f"`{command}` exited with {status}:\n{output}"))
        return problems
    if block.lang == "console":
        rewritten = []
        for command in commands(block.text):
            status, output = shell.run(command.text)
            output = output.rstrip("\n")
            if status != 0:
                output += f"\n[exit status {status}]"
            output = output.lstrip("\n")
            if "Traceback (most recent call last)" in output:
                problems.append(Problem(name, block.line, f"`{command.text}` printed a traceback:\n{output}"))
            if normalise(output) != normalise(command.shown):
                diff = "\n".join(
                    difflib.unified_diff(
                        command.shown.splitlines(), output.splitlines(), "shown", "printed now", lineterm=""
                    )
                )
                problems.append(Problem(name, block.line, f"the output of `{command.text}` differs:\n{diff}"))
                shown = output
            else:
                shown = command.shown
            rewritten.append(f"$ {command.text}" + (f"\n{shown}" if shown else ""))
        text = "\n".join(rewritten) + "\n"
        if text != block.text:
            edits.append((block.start, block.end, text))
        return problems
    return [Problem(name, block.line, f"a ```{block.lang} block that nothing runs (see tests/docs.py)")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="*", default=list(DOCUMENTS))
    parser.add_argument("--write", action="store_true", help="rewrite the output blocks")
    args = parser.parse_args()
    from tests.docs_reference import generate

    failed = 0
    for name in args.documents:
        problems = run_document(name, write=args.write, generated=generate)
        for problem in problems:
            print(problem, file=sys.stderr)
        failed += bool(problems)
        state = "rewritten" if args.write and problems else "stale" if problems else "ok"
        print(f"{name}: {state}")
    return 1 if failed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
