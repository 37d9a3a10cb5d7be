"""`sh -c` and `bash -c` for simple scripts, the small utilities, and command dispatch.

The shell understands what one-line lab scripts use: words with '...' and "..." quoting,
`$VAR`, `${VAR}`, `$?` and `$(...)`, `;`, `&&`, `||`, pipes, `for NAME in WORDS; do ...; done`,
and the redirections `>/dev/null`, `2>/dev/null`, `2>&1`. A command the image lacks fails the
way its shell reports it (busybox ash `sh: dig: not found`, dash `sh: 1: dig: not found`,
bash `bash: line 1: dig: command not found`), exit code 127.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tutor.cluster.sim.api.commands import dnstools, http, net
from tutor.cluster.sim.api.commands.files import environment, read_file
from tutor.cluster.sim.api.commands.proc import Out, Proc

Tool = Callable[[Proc, list[str], str], Out]


# -- small utilities ------------------------------------------------------------------------


def _cat(proc: Proc, args: list[str], stdin: str) -> Out:
    files = [a for a in args if not a.startswith("-") or a == "-"]
    if not files:
        return Out(0, stdin, "")
    result = Out()
    for path in files:
        text = stdin if path == "-" else read_file(proc, path)
        if text is None:
            result = result.add(
                Out(1, "", f"cat: can't open '{path}': No such file or directory\n")
            )
        else:
            result = Out(result.code, result.stdout + text, result.stderr)
    return result


def _env(proc: Proc, args: list[str], stdin: str) -> Out:
    if args:
        return Out(1, "", "env: running a command through env is not modelled\n")
    return Out(0, "".join(f"{k}={v}\n" for k, v in environment(proc)), "")


def _printenv(proc: Proc, args: list[str], stdin: str) -> Out:
    values = dict(environment(proc))
    if not args:
        return _env(proc, [], stdin)
    found = [values[name] for name in args if name in values]
    code = 0 if len(found) == len(args) else 1
    return Out(code, "".join(f"{v}\n" for v in found), "")


def _hostname(proc: Proc, args: list[str], stdin: str) -> Out:
    if "-i" in args:
        return Out(0, proc.ip + "\n", "")
    return Out(0, proc.hostname + "\n", "")


def _lines_arg(args: list[str], default: int) -> tuple[int, list[str]]:
    count = default
    rest: list[str] = []
    words = list(args)
    while words:
        word = words.pop(0)
        if word == "-n" and words:
            value = words.pop(0)
            count = int(value) if value.lstrip("-").isdigit() else count
        elif re.fullmatch(r"-n?\d+", word):
            count = int(word.lstrip("-n"))
        else:
            rest.append(word)
    return count, rest


def _head(proc: Proc, args: list[str], stdin: str) -> Out:
    count, files = _lines_arg(args, 10)
    text = stdin if not files else (read_file(proc, files[0]) or "")
    return Out(0, "".join(text.splitlines(keepends=True)[:count]), "")


def _tail(proc: Proc, args: list[str], stdin: str) -> Out:
    count, files = _lines_arg(args, 10)
    text = stdin if not files else (read_file(proc, files[0]) or "")
    lines = text.splitlines(keepends=True)
    return Out(0, "".join(lines[-count:] if count else []), "")


def _grep(proc: Proc, args: list[str], stdin: str) -> Out:
    flags = {c for a in args if a.startswith("-") and len(a) > 1 for c in a[1:]}
    words = [a for a in args if not (a.startswith("-") and len(a) > 1)]
    if not words:
        return Out(2, "", "Usage: grep [-HhnlLoqvsriwFE] PATTERN [FILE]...\n")
    pattern, files = words[0], words[1:]
    text = stdin if not files else (read_file(proc, files[0]) or "")
    try:
        regex = re.compile(
            pattern if ("E" in flags or "F" not in flags) else re.escape(pattern),
            re.IGNORECASE if "i" in flags else 0,
        )
    except re.error:
        regex = re.compile(re.escape(pattern))
    hits = [line for line in text.splitlines() if bool(regex.search(line)) != ("v" in flags)]
    if "q" in flags:
        return Out(0 if hits else 1, "", "")
    if "c" in flags:
        return Out(0 if hits else 1, f"{len(hits)}\n", "")
    if "o" in flags:
        found = [m.group(0) for line in hits for m in regex.finditer(line)]
        return Out(0 if hits else 1, "".join(f"{f}\n" for f in found), "")
    return Out(0 if hits else 1, "".join(f"{line}\n" for line in hits), "")


def _wc(proc: Proc, args: list[str], stdin: str) -> Out:
    if "-l" in args:
        return Out(0, f"{stdin.count(chr(10))}\n", "")
    return Out(
        0, f"{stdin.count(chr(10)):>7} {len(stdin.split()):>7} {len(stdin.encode()):>7}\n", ""
    )


def _seq(proc: Proc, args: list[str], stdin: str) -> Out:
    numbers = [int(a) for a in args if a.lstrip("-").isdigit()]
    if not numbers or len(numbers) != len(args):
        return Out(1, "", "seq: invalid argument\n")
    first, step, last = (
        (1, 1, numbers[0])
        if len(numbers) == 1
        else ((numbers[0], 1, numbers[1]) if len(numbers) == 2 else tuple(numbers[:3]))
    )
    values = range(first, last + (1 if step > 0 else -1), step) if step else []
    return Out(0, "".join(f"{v}\n" for v in values), "")


def _sort(proc: Proc, args: list[str], stdin: str) -> Out:
    lines = sorted(stdin.splitlines(), reverse="-r" in args)
    if "-u" in args:
        lines = list(dict.fromkeys(lines))
    return Out(0, "".join(f"{line}\n" for line in lines), "")


def _uniq(proc: Proc, args: list[str], stdin: str) -> Out:
    groups: list[list[str]] = []
    for line in stdin.splitlines():
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    if "-c" in args:
        return Out(0, "".join(f"{len(g):>7} {g[0]}\n" for g in groups), "")
    return Out(0, "".join(f"{g[0]}\n" for g in groups), "")


def _sleep(proc: Proc, args: list[str], stdin: str) -> Out:
    # the simulator does not wait: the command's effect (none) is the same
    if not args or not all(re.fullmatch(r"\d+(\.\d+)?[smhd]?", a) for a in args):
        return Out(1, "", f"sleep: invalid number '{args[0] if args else ''}'\n")
    return Out()


def _date(proc: Proc, args: list[str], stdin: str) -> Out:
    return Out(0, proc.now().strftime("%a %b %d %H:%M:%S UTC %Y") + "\n", "")


def _uname(proc: Proc, args: list[str], stdin: str) -> Out:
    if "-a" in args:
        return Out(0, f"Linux {proc.hostname} 6.8.0 #1 SMP x86_64 Linux\n", "")
    return Out(0, "Linux\n", "")


def _id(proc: Proc, args: list[str], stdin: str) -> Out:
    return Out(0, "uid=0(root) gid=0(root) groups=0(root)\n", "")


def _whoami(proc: Proc, args: list[str], stdin: str) -> Out:
    return Out(0, "root\n", "")


def _true(proc: Proc, args: list[str], stdin: str) -> Out:
    return Out()


def _false(proc: Proc, args: list[str], stdin: str) -> Out:
    return Out(1)


def _echo(proc: Proc, args: list[str], stdin: str) -> Out:
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    return Out(0, " ".join(args) + ("\n" if newline else ""), "")


def _timeout(proc: Proc, args: list[str], stdin: str) -> Out:
    words = [a for a in args if not a.startswith("-")]
    if len(words) < 2:
        return Out(1, "", "timeout: missing command\n")
    return run_tool(proc, words[1:], stdin, in_shell=True)


def _shell(proc: Proc, args: list[str], stdin: str) -> Out:
    if len(args) >= 2 and args[0] == "-c":
        return Shell(proc).run(args[1])
    if not args:
        return Out(0, "", "")  # no stdin under a plain `kubectl exec`: the shell exits
    return Out(127, "", f"sh: can't open '{args[0]}': No such file or directory\n")


TOOLS: dict[str, Tool] = {
    "cat": _cat, "env": _env, "printenv": _printenv, "hostname": _hostname, "head": _head,
    "tail": _tail, "grep": _grep, "wc": _wc, "seq": _seq, "sort": _sort, "uniq": _uniq, "sleep": _sleep, "date": _date,
    "uname": _uname, "id": _id, "whoami": _whoami, "true": _true, "false": _false,
    "echo": _echo, "timeout": _timeout, "sh": _shell, "ash": _shell, "bash": _shell,
    "dash": _shell, "curl": http.curl, "wget": http.wget, "dig": dnstools.dig,
    "nslookup": dnstools.nslookup, "nc": net.nc, "ping": net.ping, "ip": net.ip_command,
    "agnhost": net.agnhost, "agnhost-2": net.agnhost,
}  # fmt: skip


def run_tool(proc: Proc, argv: list[str], stdin: str = "", *, in_shell: bool = False) -> Out:
    """Run an executable found in the image (the caller has checked that it exists when the
    runtime would refuse it)."""
    name = argv[0].rsplit("/", 1)[-1]
    if in_shell and proc.toolbox.find(argv[0]) is None:
        return _not_found(proc, argv[0])
    tool = TOOLS.get(name)
    if tool is None:
        return Out(
            1,
            "",
            f"kube-tutor: '{argv[0]}' exists in this image, but the simulator does not "
            "model what it does\n",
        )
    return tool(proc, argv[1:], stdin)


def _not_found(proc: Proc, word: str) -> Out:
    shell = proc.toolbox.shell
    if shell == "dash":
        return Out(127, "", f"sh: 1: {word}: not found\n")
    if shell == "bash":
        return Out(127, "", f"bash: line 1: {word}: command not found\n")
    return Out(127, "", f"sh: {word}: not found\n")


# -- the shell ------------------------------------------------------------------------------


@dataclass
class Shell:
    """A tiny POSIX-ish shell over the modelled tools."""

    proc: Proc
    variables: dict[str, str] = field(default_factory=dict)
    status: int = 0

    def run(self, script: str) -> Out:
        """Run a script; its output and the exit code of its last command."""
        tokens = self._tokens(script)
        if tokens is None:
            return Out(2, "", "sh: syntax error: unterminated quoted string\n")
        return self._list(tokens)

    def _tokens(self, script: str) -> list[str] | None:
        tokens: list[str] = []
        word = ""
        index = 0
        text = script.strip()
        while index < len(text):
            char = text[index]
            if char in " \t":
                if word:
                    tokens.append(word)
                    word = ""
                index += 1
            elif char in "\n;":
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(";")
                index += 1
            elif text.startswith(("&&", "||"), index):
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(text[index : index + 2])
                index += 2
            elif char == "|":
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append("|")
                index += 1
            elif char in "'\"":
                end = text.find(char, index + 1)
                while char == '"' and end > 0 and text[end - 1] == "\\":
                    end = text.find(char, end + 1)
                if end < 0:
                    return None
                word += text[index : end + 1]
                index = end + 1
            elif text.startswith("$(", index):
                end = text.find(")", index)
                if end < 0:
                    return None
                word += text[index : end + 1]
                index = end + 1
            else:
                word += char
                index += 1
        if word:
            tokens.append(word)
        return tokens

    def _expand(self, word: str) -> list[str]:
        """One shell word -> its fields after quote removal and expansion."""
        out = ""
        quoted = False
        split_me = ""
        index = 0
        while index < len(word):
            char = word[index]
            if char == "'":
                end = word.index("'", index + 1)
                out += word[index + 1 : end]
                quoted = True
                index = end + 1
            elif char == '"':
                end = word.index('"', index + 1)
                while word[end - 1] == "\\":
                    end = word.index('"', end + 1)
                out += self._substitute(word[index + 1 : end].replace('\\"', '"'))
                quoted = True
                index = end + 1
            else:
                end = index
                while end < len(word) and word[end] not in "'\"":
                    end += 1
                piece = self._substitute(word[index:end])
                split_me += piece
                out += piece
                index = end
        if not quoted and split_me == out:
            return out.split()
        return [out]

    def _substitute(self, text: str) -> str:
        def command(match: re.Match[str]) -> str:
            return Shell(self.proc, dict(self.variables)).run(match.group(1)).stdout.rstrip("\n")

        text = re.sub(r"\$\(([^)]*)\)", command, text)
        env = dict(environment(self.proc)) if "$" in text else {}

        def variable(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            if name == "?":
                return str(self.status)
            return self.variables.get(name, env.get(name, ""))

        return re.sub(r"\$\{(\w+)\}|\$(\?|\w+)", variable, text)

    def _list(self, tokens: list[str]) -> Out:
        result = Out()
        index = 0
        skip = False
        while index < len(tokens):
            if tokens[index] == "for":
                end = _matching_done(tokens, index)
                if end is None:
                    return result.add(Out(2, "", "sh: syntax error: unexpected end of file\n"))
                after = end + 1
                if after < len(tokens) and tokens[after] == "|":
                    # `for ...; done | sort`: the loop's output feeds the pipeline
                    stop = after + 1
                    while stop < len(tokens) and tokens[stop] not in (";", "&&", "||"):
                        stop += 1
                    if not skip:
                        loop = self._for(tokens[index + 1 : end])
                        piped = self._pipeline(tokens[after + 1 : stop], loop.stdout)
                        result = result.add(
                            Out(piped.code, piped.stdout, loop.stderr + piped.stderr)
                        )
                        self.status = result.code
                    index = stop + 1
                    continue
                if not skip:
                    result = result.add(self._for(tokens[index + 1 : end]))
                    self.status = result.code
                index = end + 1
                continue
            end = index
            while end < len(tokens) and tokens[end] not in (";", "&&", "||"):
                end += 1
            if not skip and end > index:
                result = result.add(self._pipeline(tokens[index:end]))
                self.status = result.code
            op = tokens[end] if end < len(tokens) else ";"
            skip = (op == "&&" and self.status != 0) or (op == "||" and self.status == 0)
            if self.variables.get("__exit__") is not None:
                break
            index = end + 1
        return result

    def _for(self, tokens: list[str]) -> Out:
        # NAME in WORDS ; do LIST ; done (tokens without the leading `for`/trailing `done`)
        if len(tokens) < 3 or tokens[1] != "in" or "do" not in tokens:
            return Out(2, "", "sh: syntax error: bad for loop\n")
        do = tokens.index("do")
        words = [w for t in tokens[2:do] if t != ";" for w in self._expand(t)]
        body = tokens[do + 1 :]
        result = Out()
        for value in words:
            self.variables[tokens[0]] = value
            result = result.add(self._list(body))
        return result

    def _pipeline(self, tokens: list[str], stdin: str = "") -> Out:
        stages: list[list[str]] = [[]]
        for token in tokens:
            if token == "|":
                stages.append([])
            else:
                stages[-1].append(token)
        stderr = ""
        code = 0
        for stage in stages:
            out = self._simple(stage, stdin)
            stdin, code = out.stdout, out.code
            stderr += out.stderr
        return Out(code, stdin, stderr)

    def _simple(self, tokens: list[str], stdin: str) -> Out:
        words: list[str] = []
        redirects: list[str] = []
        for token in tokens:
            if re.match(r"^\d?>", token) or token.startswith(">"):
                redirects.append(token)
            else:
                words += self._expand(token)
        while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            self.variables[name] = value
        if not words:
            return Out(self.status if not tokens else 0)
        out = self._command(words, stdin)
        for redirect in redirects:
            if redirect == "2>&1":
                out = Out(out.code, out.stdout + out.stderr, "")
            elif redirect.startswith("2>"):
                out = Out(out.code, out.stdout, "")
            else:
                out = Out(out.code, "", out.stderr)
        return out

    def _command(self, words: list[str], stdin: str) -> Out:
        name = words[0]
        if name == "exit":
            self.variables["__exit__"] = "1"
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else self.status
            return Out(code)
        if name in ("export", "cd", ":", "set"):
            for word in words[1:]:
                key, sep, value = word.partition("=")
                if sep:
                    self.variables[key] = value
            return Out()
        if name in ("echo", "true", "false", "printf"):
            if name == "printf":
                fmt = words[1] if len(words) > 1 else ""
                text = fmt.replace("\\n", "\n").replace("%s", " ".join(words[2:]))
                return Out(0, text, "")
            return TOOLS[name](self.proc, words[1:], stdin)
        if name in ("test", "["):
            return _test(self.proc, [w for w in words[1:] if w != "]"])
        return run_tool(self.proc, words, stdin, in_shell=True)


def _matching_done(tokens: list[str], start: int) -> int | None:
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index] == "for":
            depth += 1
        elif tokens[index] == "done":
            depth -= 1
            if depth == 0:
                return index
    return None


def _test(proc: Proc, args: list[str]) -> Out:
    ok = False
    if len(args) == 2 and args[0] in ("-f", "-e", "-r", "-s"):
        ok = read_file(proc, args[1]) is not None
    elif len(args) == 2 and args[0] == "-z":
        ok = args[1] == ""
    elif len(args) == 2 and args[0] == "-n":
        ok = args[1] != ""
    elif len(args) == 3 and args[1] in ("=", "=="):
        ok = args[0] == args[2]
    elif len(args) == 3 and args[1] == "!=":
        ok = args[0] != args[2]
    elif len(args) == 1:
        ok = args[0] != ""
    return Out(0 if ok else 1)
