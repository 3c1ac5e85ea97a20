"""Participant kernels forked from a preloaded template (toolkit.forking): a kernel started through the provisioner
runs code with the env and folder it was given, is interrupted and shut down, leaves no process behind, and starts
as a separate process where forking is off or fails."""

import asyncio
import inspect
import json
import os
import sys
import time
from importlib.metadata import entry_points

import psutil
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerBase, KernelProvisionerFactory, LocalProvisioner

from toolkit import forking

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernels are forked on Linux only")


@pytest.fixture(autouse=True)
def fresh_template():
    forking.Template.current = forking.Template.failed = forking.Template._lock = None
    yield
    current = forking.Template.current
    if current is not None:
        forking.Template._close(current.proc, current.folder)
    forking.Template.current = forking.Template.failed = forking.Template._lock = None


@pytest.fixture
def spec_manager(tmp_path):
    """A kernelspec like python3's that names the provisioner, as the standard way of asking for one."""
    folder = tmp_path / "kernels" / "forked"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "forked", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": forking.ENTRY_POINT}},
    }))
    return KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])


async def started(spec_manager, tmp_path, name, env=None, kernel="forked", extra_arguments=None):
    km = AsyncKernelManager(kernel_name=kernel, kernel_spec_manager=spec_manager, transport="ipc",
                            connection_file=str(tmp_path / f"{name}.json"))
    work = tmp_path / f"work-{name}"
    work.mkdir()
    await km.start_kernel(env={**os.environ, **(env or {})}, cwd=str(work),
                          **({} if extra_arguments is None else {"extra_arguments": extra_arguments}))
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc, work


async def run(kc, code, timeout=30):
    out = []
    reply = await kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: out.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    return reply["content"], "".join(out)


def gone(pid, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_the_jupyter_client_provisioner_api_this_relies_on_is_unchanged():
    # ForkingProvisioner subclasses LocalProvisioner and swaps its Popen for a ForkedKernel: these are the parts
    # of jupyter_client it relies on; a new abstract method or a renamed hook must fail here, not in a workshop.
    abstract = set(KernelProvisionerBase.__abstractmethods__)
    assert abstract == {"has_process", "poll", "wait", "send_signal", "kill", "terminate", "launch_kernel", "cleanup"}
    assert list(inspect.signature(LocalProvisioner.launch_kernel).parameters) == ["self", "cmd", "kwargs"]
    for method in ("poll", "wait", "kill", "terminate"):  # they use self.process as a Popen
        assert "self.process" in inspect.getsource(getattr(LocalProvisioner, method))
    assert KernelProvisionerFactory.GROUP_NAME == "jupyter_client.kernel_provisioners"
    assert "default_provisioner_name" in KernelProvisionerFactory.class_trait_names(config=True)
    found = entry_points(group=KernelProvisionerFactory.GROUP_NAME, name=forking.ENTRY_POINT)
    assert found, "toolkit-fork is not registered: reinstall the toolkit (pip install -e .)"
    assert next(iter(found)).load() is forking.ForkingProvisioner


def test_a_forked_kernel_runs_code_with_the_env_and_folder_it_was_given_and_its_own_random_state(spec_manager,
                                                                                                   tmp_path):
    async def journey():
        kernels = [await started(spec_manager, tmp_path, f"k{i}", {"HTTP_X_TOOLKIT_CLIENT": f"10.0.0.{i}"})
                   for i in (1, 2)]
        outs = []
        for km, kc, work in kernels:
            assert km.provisioner.forked
            template = forking.Template.current.proc.pid
            assert psutil.Process(km.provisioner.pid).ppid() == template
            assert "ipykernel_launcher" in psutil.Process(km.provisioner.pid).cmdline()
            content, out = await run(kc, "import os, random\n"
                                         "print(os.environ['HTTP_X_TOOLKIT_CLIENT'], os.getcwd(), random.random())")
            assert content["status"] == "ok"
            client, cwd, number = out.split()
            assert cwd == str(work)
            outs.append((client, number))
        assert [o[0] for o in outs] == ["10.0.0.1", "10.0.0.2"]
        assert outs[0][1] != outs[1][1]  # `random` reseeded in each kernel
        # ipywidgets, imported by the template before any kernel existed, still answers the page's widgets
        content, out = await run(kernels[0][1], "import ipywidgets, comm\n"
                                                "print(sorted(comm.get_comm_manager().targets))")
        assert out.strip() == "['jupyter.widget', 'jupyter.widget.control']"
        # and the template preloads nothing a participant kernel must not import (tests/test_lean_participant.py)
        content, out = await run(kernels[0][1], "import sys\nprint(sorted({m.split('.')[0] for m in sys.modules} & "
                                                "{'pandas', 'numpy', 'matplotlib', 'plotly', 'bqplot', 'scipy', 'altair'}))")
        assert out.strip() == "[]"
        pids = [km.provisioner.pid for km, _, _ in kernels]
        for km, kc, _ in kernels:
            kc.stop_channels()
            await km.shutdown_kernel()
        return pids

    pids = asyncio.run(journey())
    assert all(gone(pid) for pid in pids)
    template = forking.Template.current
    assert template.proc.poll() is None  # the template stays for the next kernel
    forking.Template._close(template.proc, template.folder)
    assert template.proc.poll() is not None and not os.path.exists(template.folder)
    forking.Template.current = None


def test_the_shell_the_template_made_is_each_kernels_own(spec_manager, tmp_path):
    # The template makes the kernel's app and IPython shell before forking (forking._prepare_kernel): each kernel
    # must still get a shell bound to itself, with its own namespace, folder and environment, whose display and
    # results reach its own client.
    async def journey():
        (km1, kc1, work1), (km2, kc2, work2) = [await started(spec_manager, tmp_path, f"s{i}") for i in (1, 2)]
        assert km1.provisioner.forked and km2.provisioner.forked
        content, out = await run(kc1, "from ipykernel.kernelapp import IPKernelApp\n"
                                      "import ipykernel, os\n"
                                      "shell = get_ipython()\n"
                                      "print(shell.kernel is IPKernelApp.instance().kernel, shell.kernel.shell is shell,"
                                      " shell.starting_dir == os.getcwd(), os.environ['PAGER'],"
                                      " shell.history_manager.enabled, shell.InteractiveTB.mode,"
                                      " ipykernel.__file__.replace('__init__.py', 'kernelapp.py') in"
                                      " shell.kernel._kernel_modules)\n"
                                      "secret = 41")
        assert content["status"] == "ok"
        assert out.split() == ["True", "True", "True", "cat", "False", "Plain", "True"]  # forking.KERNEL_ARGS
        results = []
        reply = await kc1.execute_interactive("from IPython.display import display, HTML\n"
                                              "display(HTML('<b>shown</b>'))\nsecret + 1", timeout=30,
                                              output_hook=lambda m: results.append(
                                                  (m["msg_type"], m["content"].get("data", {}).get("text/plain"))))
        assert reply["content"]["status"] == "ok"
        assert ("display_data", "<IPython.core.display.HTML object>") in results
        assert ("execute_result", "42") in results
        content, _ = await run(kc2, "secret")  # the second kernel's namespace is its own
        assert content["status"] == "error" and content["ename"] == "NameError"
        content, out = await run(kc2, "import os; print(os.getcwd())")
        assert out.strip() == str(work2)
        for km, kc in ((km1, kc1), (km2, kc2)):
            kc.stop_channels()
            await km.shutdown_kernel()

    asyncio.run(journey())


def test_a_kernel_given_the_kernel_arguments_is_still_forked_and_one_given_others_is_not(spec_manager, tmp_path):
    # the servers give every kernel forking.KERNEL_ARGS on its command line (voila_app.CappedKernelManager), which
    # the template has read for its kernels; a command line it has not read starts a kernel from scratch
    async def journey():
        (km1, kc1, _), (km2, kc2, _) = [
            await started(spec_manager, tmp_path, name, extra_arguments=extra)
            for name, extra in (("args", forking.KERNEL_ARGS), ("other", ["--InteractiveShell.xmode=Verbose"]))]
        content, out = await run(kc1, "print(get_ipython().InteractiveTB.mode)")
        forked = km1.provisioner.forked, km2.provisioner.forked
        for km, kc in ((km1, kc1), (km2, kc2)):
            kc.stop_channels()
            await km.shutdown_kernel()
        return forked, out.strip()

    assert asyncio.run(journey()) == ((True, False), "Plain")


def test_a_forked_kernel_is_handed_over_once_its_sockets_are_bound(spec_manager, tmp_path):
    # a client connecting to an ipc socket not yet bound would try again only after ZMQ's reconnect interval
    async def journey():
        km = AsyncKernelManager(kernel_name="forked", kernel_spec_manager=spec_manager, transport="ipc",
                                connection_file=str(tmp_path / "b.json"))
        work = tmp_path / "work-b"
        work.mkdir()
        await km.start_kernel(env=dict(os.environ), cwd=str(work))
        assert km.provisioner.forked
        info = km.get_connection_info()
        bound = [os.path.exists(f"{info['ip']}-{info[f'{name}_port']}") for name in ("shell", "iopub", "control")]
        await km.shutdown_kernel(now=True)
        return bound

    assert asyncio.run(journey()) == [True, True, True]


def test_a_forked_kernels_exit_is_read_past_the_template_saying_it_was_bound():
    import socket

    ours, template = socket.socketpair()
    ours.setblocking(False)
    kernel = forking.ForkedKernel(12345, ours)
    assert kernel.poll() is None
    template.sendall(b'{"bound": true}\n')
    assert kernel.poll() is None
    template.sendall(b'{"exit": 3}\n')
    assert kernel.poll() == 3 and kernel.wait(1) == 3
    template.close()


def test_a_kernel_asked_for_with_other_arguments_starts_as_a_separate_process(tmp_path):
    # the template's app is configured for `-m ipykernel_launcher -f FILE` only (forking._prepare_kernel)
    folder = tmp_path / "kernels" / "other"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--IPKernelApp.quiet=False"],
        "display_name": "other", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": forking.ENTRY_POINT}},
    }))

    async def journey():
        km, kc, _ = await started(KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]), tmp_path, "o",
                                  kernel="other")
        assert not km.provisioner.forked
        assert psutil.Process(km.provisioner.pid).ppid() == os.getpid()
        content, out = await run(kc, "print(6 * 7)")
        assert out.strip() == "42"
        kc.stop_channels()
        await km.shutdown_kernel()

    asyncio.run(journey())


def test_a_forked_kernel_is_interrupted_and_killed(spec_manager, tmp_path):
    async def journey():
        km, kc, _ = await started(spec_manager, tmp_path, "k")
        assert km.provisioner.forked
        msg_id = kc.execute("import time; time.sleep(120)")
        await asyncio.sleep(1.0)
        began = time.monotonic()
        await km.interrupt_kernel()
        reply = await kc.get_shell_msg(timeout=20)
        while reply["parent_header"]["msg_id"] != msg_id:  # wait_for_ready's kernel_info replies come first
            assert reply["msg_type"] == "kernel_info_reply"
            reply = await kc.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert time.monotonic() - began < 20
        content, out = await run(kc, "print('still here')")
        assert out.strip() == "still here"
        pid = km.provisioner.pid
        await km.shutdown_kernel(now=True)  # SIGKILL through the provisioner
        kc.stop_channels()
        return pid, km

    pid, km = asyncio.run(journey())
    assert gone(pid)
    assert not km.has_kernel


def test_kernels_end_when_the_template_ends(spec_manager, tmp_path):
    async def journey():
        km, kc, _ = await started(spec_manager, tmp_path, "k")
        kc.stop_channels()
        return km

    km = asyncio.run(journey())
    pid = km.provisioner.pid
    template = forking.Template.current
    template.proc.kill()  # a crash of the template, not a clean stop
    template.proc.wait()
    assert gone(pid)  # PR_SET_PDEATHSIG
    assert km.provisioner.process.poll() is not None


def test_where_forking_is_unavailable_kernels_start_as_separate_processes(spec_manager, tmp_path, monkeypatch):
    monkeypatch.setattr(forking, "available", lambda: "forking kernels needs Linux")

    async def journey():
        km, kc, _ = await started(spec_manager, tmp_path, "k", {"HTTP_X_TOOLKIT_CLIENT": "10.0.0.9"})
        assert not km.provisioner.forked and forking.Template.current is None
        assert psutil.Process(km.provisioner.pid).ppid() == os.getpid()
        content, out = await run(kc, "import os; print(os.environ['HTTP_X_TOOLKIT_CLIENT'])")
        assert out.strip() == "10.0.0.9"
        pid = km.provisioner.pid
        kc.stop_channels()
        await km.shutdown_kernel()
        return pid

    assert gone(asyncio.run(journey()))


def test_a_template_that_does_not_start_leaves_kernels_starting_as_separate_processes(spec_manager, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.setattr(forking.Template, "command", [sys.executable, "-c", "import sys; sys.exit(3)"])

    async def journey():
        km, kc, _ = await started(spec_manager, tmp_path, "k")
        assert not km.provisioner.forked
        assert forking.Template.failed == "RuntimeError: it said b'' (exit code 3)"
        content, out = await run(kc, "print(6 * 7)")
        assert out.strip() == "42"
        kc.stop_channels()
        await km.shutdown_kernel()

    asyncio.run(journey())


def test_a_kernel_finds_the_participant_templates_compiled_and_no_widget_or_store_of_the_template(spec_manager,
                                                                                                   tmp_path):
    # forking._compile_templates fills the Jinja2 cache before the fork; nothing else of the app may be there
    code = ("import gc, os, sqlite3, comm, sqlalchemy\n"
            "from ipywidgets.widgets.widget import _instances\n"
            "from toolkit.store import Store\n"
            "from toolkit.templating import environment\n"
            "from toolkit.apps.participant import ParticipantApp\n"
            "widgets, comms = len(_instances), len(comm.get_comm_manager().comms)\n"
            "gc.unfreeze()  # (this kernel only) so that gc sees what the template made before the fork\n"
            "left = [type(o).__name__ for o in gc.get_objects() if isinstance(o, (Store, ParticipantApp,"
            " sqlalchemy.engine.Engine, sqlite3.Connection))]\n"
            "def link(fd):\n"
            "    try:\n"
            "        return os.readlink(f'/proc/self/fd/{fd}')\n"
            "    except OSError:  # the listing's own descriptor, closed by now\n"
            "        return ''\n"
            "files = [link(fd) for fd in os.listdir('/proc/self/fd')]\n"
            "print(widgets, comms, left, [f for f in files if f.endswith('.db')],"
            " 'participant/counter.html' in str(list(environment().cache.keys())))\n")

    async def journey():
        km, kc, _ = await started(spec_manager, tmp_path, "w")
        assert km.provisioner.forked
        content, out = await run(kc, code)
        assert content["status"] == "ok", content
        kc.stop_channels()
        await km.shutdown_kernel()
        return out

    assert asyncio.run(journey()).split("\n")[0] == "0 0 [] [] True"

