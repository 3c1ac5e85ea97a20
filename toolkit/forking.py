"""Participant kernels forked from a process that has already imported them (issue #18).

A fresh `python -m ipykernel_launcher` imports ipykernel, ipywidgets, SQLAlchemy and the toolkit from scratch for
every phone and holds its own copy of all of it. Here one *template* process per server imports all of that once,
freezes it (`gc.freeze()`: the collector never writes to those objects, so their pages stay shared), and forks a
kernel on each request; the child takes the environment and working folder it was launched with, reads its
connection file and runs ipykernel's app as `ipykernel_launcher` would.

`ForkingProvisioner` is the jupyter_client kernel provisioner that asks the template (registered as `toolkit-fork`
under the `jupyter_client.kernel_provisioners` entry point; the participant server names it with
`KernelProvisionerFactory.default_provisioner_name`). Where forking is not available (not Linux) or the template
does not start, it launches kernels as jupyter_client's LocalProvisioner does and logs why.

The template runs as `python -m toolkit.forking SOCKET`, listens on a Unix socket in a folder only its owner may
enter, ends when the server that started it ends (its stdin closes, and PR_SET_PDEATHSIG), and its kernels end
with it (PR_SET_PDEATHSIG). Protocol: one connection per kernel; the server sends one JSON line
{"argv", "env", "cwd"}, the template answers {"pid"} (or {"error"}), then {"bound": true} once the kernel has
bound its sockets and, when the kernel ends, {"exit": code}.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

ENTRY_POINT = "toolkit-fork"
# What a participant kernel imports after a full quiz (its own imports are then free and shared).
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.comm", "ipykernel.displayhook",
    "ipykernel.debugger", "IPython.core.completerlib", "tornado.platform.asyncio", "faulthandler", "psutil",
    "ipywidgets", "comm", "toolkit.apps.participant", "toolkit.store", "sqlalchemy.dialects.sqlite",
)
# The arguments of every kernel the servers start: a forked kernel's configuration is read with them in the
# template (_prepare_kernel); a kernel started from scratch gets them on its command line (voila_app's
# CappedKernelManager). No IPython history: every kernel writing its session into the one history.sqlite costs
# a start about 60 ms, and many at once wait on each other's lock. Plain tracebacks: IPython's default
# ("Context") reads and parses the source of every file a traceback passes through, 0.68 s of CPU for one
# exception through the participant app (its cell, when the server ends and a warm kernel's page never came)
# against 0.02 s plain, which names the same files, lines and error: a room's kernels failing at once must not
# take the laptop's CPU to format what nobody reads.
KERNEL_ARGS = ["--HistoryManager.enabled=False", "--InteractiveShell.xmode=Plain"]
# The kernels this can fork: `PYTHON -m ipykernel_launcher -f CONNECTION_FILE` (python3's kernelspec).
LAUNCHER = ["-m", "ipykernel_launcher"]
MAX_REQUEST = 1 << 20  # bytes of one launch request (argv, env, cwd)
READY_TIMEOUT_S = 60.0
BOUND_WAIT_S = 5.0  # the most a kernel's start waits for the kernel to have bound its sockets
PR_SET_PDEATHSIG = 1
# "0": the template does not compile the participant's templates before it forks (_compile_templates); to measure it
WARM_UP_ENV = "TOOLKIT_FORK_WARM_UP"


def available() -> str | None:
    """None where kernels can be forked here; otherwise why not, in a few words."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return "forking kernels needs Linux"
    from importlib.metadata import entry_points

    if not entry_points(group="jupyter_client.kernel_provisioners", name=ENTRY_POINT):
        return f"the {ENTRY_POINT} kernel provisioner is not registered (reinstall the toolkit: pip install -e .)"
    return None


# ------------------------------------------------------------------ the server's side: the provisioner


class Template:
    """The template process of this server, started on first use; one per server process."""

    command = [sys.executable, "-m", "toolkit.forking"]  # then the socket's path and the server's pid
    current: Template | None = None
    failed: str | None = None  # why forking is off for the rest of this server's life
    _lock: asyncio.Lock | None = None

    def __init__(self, proc: subprocess.Popen, folder: str, path: str):
        self.proc, self.folder, self.path = proc, folder, path

    @classmethod
    async def get(cls, log) -> Template | None:
        if cls.failed:
            return None
        if cls._lock is None:
            cls._lock = asyncio.Lock()
        async with cls._lock:
            if cls.current is not None and cls.current.proc.poll() is None:
                return cls.current
            try:
                cls.current = await cls._start()
                log.info("Kernels are forked from a preloaded process (pid %s).", cls.current.proc.pid)
            except Exception as e:  # anything at all: kernels then start as they always did
                cls.failed = f"{type(e).__name__}: {e}"
                cls.current = None
                log.warning("Kernels start as separate processes: the template to fork them from did not start "
                            "(%s).", cls.failed)
            return cls.current

    @classmethod
    async def _start(cls) -> Template:
        from jupyter_core.paths import jupyter_runtime_dir

        base = jupyter_runtime_dir()
        os.makedirs(base, exist_ok=True)
        if len(base) > 60:  # a Unix socket's path holds about 100 bytes
            base = tempfile.gettempdir()
        folder = tempfile.mkdtemp(prefix="toolkit-fork-", dir=base)  # 0700: only this user reaches the socket
        path = os.path.join(folder, "template.sock")
        proc = subprocess.Popen([*cls.command, path, str(os.getpid())],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), READY_TIMEOUT_S)
        if line.strip() != b"ready":
            proc.kill()
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"it said {line[:200]!r} (exit code {proc.wait()})")
        proc.stdout.close()
        atexit.register(cls._close, proc, folder)
        return cls(proc, folder, path)

    @staticmethod
    def _close(proc: subprocess.Popen, folder: str) -> None:
        """The server is ending: so does its template (its stdin closes), and its folder goes."""
        with contextlib.suppress(OSError):
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        shutil.rmtree(folder, ignore_errors=True)

    async def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, self.path)
            await loop.sock_sendall(sock, json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
            buffer = b""

            async def line() -> dict:
                nonlocal buffer
                while b"\n" not in buffer:
                    chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 30)
                    if not chunk or len(buffer) > 4096:
                        raise RuntimeError("the template closed the connection")
                    buffer += chunk
                first, buffer = buffer.split(b"\n", 1)
                return json.loads(first)

            answer = await line()
        except BaseException:
            sock.close()
            raise
        if "pid" not in answer:
            sock.close()
            raise RuntimeError(answer.get("error", "no pid"))
        kernel = ForkedKernel(int(answer["pid"]), sock)
        # Hand the kernel over once it listens: a client that connects to an ipc socket not yet bound tries again
        # only after ZMQ's reconnect interval (which made half the starts 0.15 s slower). Not for long: past
        # BOUND_WAIT_S the kernel is handed over anyway, and its client reconnects as before.
        with contextlib.suppress(asyncio.TimeoutError, RuntimeError, ValueError):
            news = await asyncio.wait_for(line(), BOUND_WAIT_S)
            if "bound" not in news:  # it ended first: its exit is for poll()
                buffer = json.dumps(news).encode() + b"\n" + buffer
        kernel._buffer = buffer
        return kernel


class ForkedKernel:
    """A kernel forked by the template, with the part of Popen's interface LocalProvisioner uses.

    It is the template's child, not ours: the template reaps it and sends its exit code on the kernel's connection."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, sock: socket.socket):
        self.pid, self.sock, self.returncode = pid, sock, None
        self._buffer = b""

    def _exit_read(self) -> int | None:
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = json.loads(line)
            if "exit" in message:
                return int(message["exit"])
        return None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                code = self._exit_read()
                while code is None:
                    chunk = self.sock.recv(4096)
                    if not chunk:  # the template is gone, and its kernels with it (PR_SET_PDEATHSIG)
                        code = -signal.SIGKILL
                        break
                    self._buffer += chunk
                    code = self._exit_read()
                self.returncode = code
            except BlockingIOError:
                return None
            except (OSError, ValueError, KeyError):
                self.returncode = -signal.SIGKILL
            self.sock.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # never signal a pid that may since belong to another process
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkingProvisioner(LocalProvisioner):
    """Launches python3 kernels by forking the template; any other kernel, or where forking fails, as usual."""

    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        self.forked = False  # (again, on a restart)
        # python -m ipykernel_launcher -f FILE, with KERNEL_ARGS after it or none (the template has read those)
        forkable = available() is None and cmd[1:3] == LAUNCHER and len(cmd) >= 5 and cmd[3] == "-f" \
            and cmd[5:] in ([], KERNEL_ARGS)
        template = await Template.get(self.log) if forkable else None
        if template is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            self.process = await template.fork(cmd[3:], env, cwd)
        except Exception as e:
            self.log.warning("Forking a kernel failed (%s); this one starts as a separate process.", e)
            return await super().launch_kernel(cmd, **kwargs)
        self.forked = True
        self.pid = self.pgid = self.process.pid  # the kernel leads a process group of its own (setsid)
        self.cwd = cwd
        return self.connection_info

    async def send_signal(self, signum: int) -> None:
        if self.forked:
            if self.process and self.process.poll() is None:
                os.killpg(self.pgid, signum)
            return
        await super().send_signal(signum)


# ------------------------------------------------------------------ the template process


def _prctl_pdeathsig(signum: int = signal.SIGKILL) -> None:
    """This process receives `signum` when its parent ends (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)


def _set_title(words: list[str]) -> None:
    """Show the forked kernel as what it is (`ps`, psutil and `toolkit serve`'s leftover check see a kernel), by
    writing its command line over the template's in place (Linux: the area /proc/self/stat names)."""
    with open("/proc/self/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (fields 48 and 49 of proc(5))
    title = b"\0".join(w.encode() for w in words)[: end - start - 1]
    ctypes.memmove(start, title.ljust(end - start, b"\0"), end - start)


class _ModulesAtFork:
    """What `IPythonKernel.__init__` reads of `sys.modules` (the files of the modules loaded, for its debugger),
    made once in the template.

    It reads them as `[m.__file__ for m in sys.modules.copy().values() ...]`: the copy and the attribute reads
    write the reference count of every module, its name and its file name, which copies the pages holding them
    into the child (8.4 MiB of a kernel's 21 at ready, measured). A kernel forked here has imported nothing since
    the fork, so the template's answer is the kernel's; its stand-ins and their strings lie together in a few
    pages."""

    files: dict[int, Any] = {}

    @classmethod
    def take(cls) -> None:
        from types import SimpleNamespace

        cls.files = {i: SimpleNamespace(__file__=(f + "\0")[:-1])  # a string of its own, beside the others
                     for i, f in enumerate(m.__file__ for m in sys.modules.copy().values()
                                           if getattr(m, "__file__", None))}

    def copy(self) -> dict[int, Any]:
        return self.files


class _SysForKernelInit:
    """`sys` as ipykernel.ipkernel sees it while the kernel is made: the real one, but for `modules.copy()`."""

    modules = _ModulesAtFork()

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def _kernel_class():
    """IPythonKernel, made without reading every module (see _ModulesAtFork), around the shell the template made."""
    import ipykernel.ipkernel as ipkernel

    class ForkedIPythonKernel(ipkernel.IPythonKernel):
        def __init__(self, **kwargs):
            ipkernel.sys = _SysForKernelInit()
            try:
                super().__init__(**kwargs)  # its shell_class.instance(...) is the template's shell
            finally:
                ipkernel.sys = sys
            self.shell.kernel = self  # what instance(kernel=self) would have set

    return ForkedIPythonKernel


def _app_class():
    """IPKernelApp that reads its configuration in the template (`prepare`) and only its connection file in the
    kernel (`initialize(["-f", FILE])`)."""
    from ipykernel.kernelapp import IPKernelApp
    from IPython.core.application import BaseIPythonApplication

    class ConfigReadBefore(BaseIPythonApplication):
        def initialize(self, argv=None):  # IPKernelApp.initialize's super().initialize(argv)
            self.connection_file = argv[1]

    class ForkedKernelApp(IPKernelApp, ConfigReadBefore):
        def prepare(self) -> None:
            BaseIPythonApplication.initialize(self, KERNEL_ARGS)  # configuration files and KERNEL_ARGS

    return ForkedKernelApp


def _prepare_kernel() -> None:
    """In the template: what every kernel makes the same way before it has sockets, made once and shared.

    Reading the configuration (traitlets' command line and config files) and making IPython's shell (magics,
    history, completer, hooks: thousands of objects, and the code that makes them) cost a kernel 4.5 and 8 MiB
    of pages of its own when each kernel did them after the fork (measured in a bare fork). Here the kernel's
    app is made and configured, and its shell made with the arguments the kernel would give it; the kernel
    then finds both (they are singletons) and binds its sockets, session and itself to them."""
    app = _app_class().instance(kernel_class=_kernel_class())
    app.prepare()
    kernel = app.kernel_class
    kernel.shell_class.default_value.instance(parent=app, profile_dir=app.profile_dir, user_module=None,
                                              user_ns=None, compiler_class=kernel.compiler_class.default_value)


# The templates a participant's page fills (toolkit/templates/apps/...), compiled in the template (_compile_templates)
PARTICIPANT_TEMPLATES = ("apps/participant/", "apps/join/", "apps/inputs/", "apps/room/", "apps/groupwork/",
                         "apps/line.html", "apps/label.html", "apps/counter.html")


def _compile_templates() -> int:
    """Compile the participant app's Jinja2 templates into the environment's cache, once for every kernel; how many.

    A kernel compiled each template it filled (about 15 ms of CPU each, and the compiled code in its own pages);
    from the template's cache it only reads them. Measured (load average 10-27 on 2 cores, 2 runs each): a
    kernel's USS after a full quiz 32.4 MiB against 32.9 without; its CPU the same within noise.

    Not done, because it cost more than it saved: a whole rehearsed quiz in the template before the fork
    (a participant app against a throwaway store, every widget closed after), to have the code specialised, the
    strings hashed and SQLAlchemy's caches filled once. The kernels then had 2 MiB more of their own, warm
    (23.7 against 21.5 MiB) and after a quiz (34.7 against 32.9): what the rehearsal freed left holes in the
    template's pages, which each kernel's own objects then filled, copying those pages."""
    from toolkit.templating import environment

    env = environment()
    names = [n for n in env.list_templates() if n.startswith(PARTICIPANT_TEMPLATES)]
    for name in names:
        env.get_template(name)
    return len(names)


def _in_a_kernel_now() -> None:
    """What a preloaded module does on import only when it finds itself in a kernel, done now that it is in one."""
    import ipywidgets

    ipywidgets.register_comm_target()  # at import, ipywidgets registers its comm targets only inside a kernel


def _run_kernel(request: dict, closing: list, template: int, bound: int) -> None:
    """In the forked child: become the kernel asked for; never returns."""
    code = 1
    try:
        os.setsid()  # a process group of its own: an interrupt (SIGINT) reaches it and what it starts
        _prctl_pdeathsig()
        if os.getppid() != template:  # the template ended between fork and prctl
            os._exit(1)
        import gc

        gc.enable()
        signal.set_wakeup_fd(-1)
        for thing in closing:
            os.close(thing) if isinstance(thing, int) else thing.close()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        import random

        random.seed()  # the template's state would otherwise repeat in every kernel (secrets and uuid4 use urandom)
        os.environ.clear()
        os.environ.update(request["env"])
        old_cwd = os.getcwd()
        os.chdir(request["cwd"])
        if sys.path and sys.path[0] == old_cwd:  # as `python -m` in the kernel's own folder would have it
            sys.path[0] = request["cwd"]
        argv = [str(a) for a in request["argv"]]
        _set_title(["python", *LAUNCHER, *argv])
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel.kernelapp import IPKernelApp
        from IPython.core.interactiveshell import InteractiveShell

        shell = InteractiveShell.instance()  # the template's (_prepare_kernel), made in its folder and environment
        shell.starting_dir = os.getcwd()
        shell.init_environment()
        app = IPKernelApp.instance()  # as IPKernelApp.launch_instance, with one step between
        app.initialize(argv)
        os.write(bound, b"\n")  # its sockets are bound: the template tells the server
        os.close(bound)
        _in_a_kernel_now()
        app.start()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def template_main(path: str, parent: int) -> None:
    import gc

    # No collection while importing: it would free objects between those kept and leave holes that the kernels'
    # own allocations then fill, writing to (and so copying) the pages shared with this process (Python's gc docs).
    gc.disable()
    _prctl_pdeathsig(signal.SIGTERM)
    if os.getppid() != parent:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server ends us by closing our stdin, or by ending
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))


def _stop_watching(selector: selectors.BaseSelector, fd: int) -> None:
    selector.unregister(fd)
    os.close(fd)


def preload(templates: bool = True) -> None:
    """What the template imports and compiles before its first kernel: PRELOAD, every question type's module, and
    (`templates`) the participant app's templates (_compile_templates).

    The question types' registry imports its modules on first use (toolkit.questions), which in a kernel was the
    page's first bank read: each kernel imported them after the fork, in pages of its own, and where no bytecode
    is cached (PYTHONDONTWRITEBYTECODE, a read-only install) compiled them from source, about 13% of a kernel's
    CPU from its page request to question 1 (py-spy, 30 joins). tests/test_lean_participant.py checks that a whole
    quiz imports nothing this has not."""
    from toolkit import questions

    for name in PRELOAD:
        __import__(name)
    questions.names()
    if templates:
        _compile_templates()


def _serve(path: str) -> None:
    import gc

    preload(templates=os.environ.get(WARM_UP_ENV, "1") != "0")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through the wakeup fd
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    pending: dict[socket.socket, bytes] = {}
    kernels: dict[int, socket.socket] = {}
    binding: dict[int, int] = {}  # kernels that have not bound their sockets yet: the pipe they say it on
    _prepare_kernel()
    _ModulesAtFork.take()
    gc.freeze()  # everything made so far is never touched by the collector again: its pages stay shared
    print("ready", flush=True)
    os.dup2(2, 1)  # what the kernels print goes where the server's own messages go, not into that pipe
    while True:
        for key, _ in selector.select(timeout=5):
            if key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    for pid in kernels:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                    return
            elif key.data == "accept":
                conn, _addr = listener.accept()
                conn.setblocking(False)
                pending[conn] = b""
                selector.register(conn, selectors.EVENT_READ, "request")
            elif key.data == "request":
                conn = key.fileobj
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    chunk = b""
                data = pending[conn] + chunk
                if chunk and b"\n" not in data and len(data) < MAX_REQUEST:
                    pending[conn] = data
                    continue
                selector.unregister(conn)
                del pending[conn]
                conn.setblocking(True)
                try:
                    request = json.loads(data.split(b"\n")[0])
                    if len(os.listdir("/proc/self/task")) != 1:
                        raise RuntimeError("the template runs a thread: forking it would be unsafe")
                except Exception as e:
                    with contextlib.suppress(OSError):
                        conn.sendall(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode() + b"\n")
                    conn.close()
                    continue
                me = os.getpid()
                bound_r, bound_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    _run_kernel(request, [selector, listener, wake_r, wake_w, conn, bound_r, *pending,
                                          *kernels.values(), *binding.values()], me, bound_w)
                os.close(bound_w)
                kernels[pid] = conn
                binding[pid] = bound_r
                selector.register(bound_r, selectors.EVENT_READ, ("bound", pid))
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            elif isinstance(key.data, tuple):  # a kernel has bound its sockets (or ended before)
                pid = key.data[1]
                _stop_watching(selector, binding.pop(pid))
                if pid in kernels:
                    with contextlib.suppress(OSError):
                        kernels[pid].sendall(b'{"bound": true}\n')
            elif key.data == "child":
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
        while kernels:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in binding:
                _stop_watching(selector, binding.pop(pid))
            conn = kernels.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps({"exit": _exit_code(status)}).encode() + b"\n")
                conn.close()


if __name__ == "__main__":
    template_main(sys.argv[1], int(sys.argv[2]))
