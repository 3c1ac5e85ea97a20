"""Resident memory of one participant kernel after a full quiz, against a plain Voila page that imports
ipywidgets and pandas (measured in the same run); and a forked kernel (toolkit.forking) against one started from
scratch (`--no-fork`), in memory and in the time from asking for a kernel to its being ready.

- toolkit: the participant server as `toolkit serve` runs it (pool of 1), once with kernels forked from the
  preloaded template and once with each started from scratch; one simulated participant
  (toolkit.rehearse.play_participant) joins, answers every question of the pre-test and submits; then the
  kernel that served it (the warm kernel it took from the pool) is measured. The kernel the pool refilled
  with, which has run the notebook but served nobody, is measured too.
- plain: `voila NOTEBOOK` on a notebook holding `import ipywidgets, pandas; ipywidgets.Button()`, after one
  page load.
- plain, participant notebook: plain Voila on the toolkit's participant notebook, after the same full quiz
  (the same app without the toolkit's serving).

- start: jupyter_client's AsyncKernelManager starts a kernel through the provisioner the participant server uses
  (forked, then from scratch), in the kernel's own folder over ipc as the server does: the time to the kernel's
  first kernel_info reply, to jupyter_client's wait_for_ready (ready: it also waits until IOPub has been quiet
  for 0.2 s) and to its having imported the participant app (what a pool kernel runs before
  its page asks for it). The first forked kernel also starts the template: it is reported apart.

RSS, and USS and PSS when psutil can read them (Linux: /proc/PID/smaps); CPU: the seconds the kernel process has
used (a forked kernel's since its fork). Forked kernels are measured twice: from the template as it is, and
from one that did not compile the participant's templates first (toolkit.forking._compile_templates;
`--skip-no-warm-up`). `toolkit serve` sizes the room with
what toolkit.serve.measure_kernel() measures (a kernel's USS once it has imported the participant app, plus
QUIZ_GROWTH_MB for a full quiz); that figure is printed beside the USS measured after a full quiz. Goals (issue #18): a
forked kernel's USS after a full quiz at most 15 MiB, ready at most 0.3 s after it is asked for.

Not a test: `python benchmarks/participant_memory.py [--repeat 3]` (each repeat is one more participant).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import statistics
import time
import urllib.request
from pathlib import Path

import psutil
from _servers import (
    banner,
    load_average,
    play,
    ratio,
    seed_store,
    start_plain,
    start_toolkit,
    toolkit_env,
    work_dir,
)

from toolkit import config, forking
from toolkit.serve import QUIZ_GROWTH_MB, SERVER_MB, measure_kernel

MB = 2**20
PLAIN_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "a1", "metadata": {}, "outputs": [],
               "source": ["import ipywidgets, pandas\n", "ipywidgets.Button()"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def memory(p: psutil.Process) -> dict[str, float | None]:
    """RSS, USS and PSS in MiB (USS/PSS None when not readable), and the CPU seconds the process has used."""
    cpu = p.cpu_times()
    out: dict[str, float | None] = {"rss": p.memory_info().rss / MB, "uss": None, "pss": None,
                                    "cpu": cpu.user + cpu.system}
    try:
        full = p.memory_full_info()
        out["uss"] = full.uss / MB
        out["pss"] = getattr(full, "pss", 0) / MB or None
    except (psutil.AccessDenied, AttributeError):
        pass
    for kind, mib in (private_dirty(p.pid) or {}).items():
        out[f"dirty_{kind}"] = mib
    return out


def private_dirty(pid: int) -> dict[str, float] | None:
    """A process's Private_Dirty in MiB by mapping (Linux /proc/PID/smaps): [heap] (glibc's main malloc arena),
    anonymous (pymalloc's arenas, glibc's thread arenas and large blocks, thread stacks) and the rest (the data of
    the shared libraries); None where smaps cannot be read."""
    out = {"heap": 0.0, "anonymous": 0.0, "other": 0.0}
    kind = "other"
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                parts = line.split()
                if parts and not parts[0].endswith(":"):  # a mapping's first line: address perms offset dev inode [path]
                    path = parts[5] if len(parts) > 5 else ""
                    kind = "heap" if path == "[heap]" else "anonymous" if not path else "other"
                elif parts and parts[0] == "Private_Dirty:":
                    out[kind] += int(parts[1]) / 1024
    except OSError:
        return None
    return out


def median_of(samples: list[dict], key: str) -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(samples: list[dict]) -> str:
    parts = []
    for key in ("rss", "uss", "pss"):
        v = median_of(samples, key)
        parts.append(f"{key.upper()} {v:6.1f} MiB" if v is not None else f"{key.upper()} –")
    cpu = median_of(samples, "cpu")
    if cpu is not None:
        parts.append(f"CPU {cpu:5.2f} s")
    dirty = [(kind, median_of(samples, f"dirty_{kind}")) for kind in ("heap", "anonymous", "other")]
    if all(v is not None for _kind, v in dirty):
        parts.append("Private_Dirty " + " / ".join(f"{kind} {v:.1f}" for kind, v in dirty) + " MiB")
    return ", ".join(parts) + (f"  (median of {len(samples)})" if len(samples) > 1 else "")


def settle(seconds: float = 3.0) -> None:
    time.sleep(seconds)  # let the kernel finish what the last message started


def toolkit_kernels(repeat: int, banks: Path | None, cap_s: float,
                    fork: bool) -> tuple[list[dict], list[dict], dict, list[str]]:
    data = work_dir("tk-memory-toolkit-")
    code = seed_store(data, banks)["join_code"]
    server = start_toolkit("participant", data, banks, pool=1, fork=fork)
    served, warm, problems = [], [], []
    try:
        server.wait_started()
        used: set[int] = set()
        for i in range(repeat):
            server.wait_warm(1)  # the pool holds one warm kernel
            before = {k.pid for k in server.kernels()} - used
            if len(before) != 1:
                raise RuntimeError(f"expected one warm kernel, found {len(before)}")
            run = play(server.url, code, 1, cap_s=cap_s, timeout=cap_s, first=i)
            outcome = run.outcomes[0]
            if outcome is None or not outcome.submitted:
                problems.append(f"participant {i + 1} did not finish: "
                                f"{outcome.error if outcome else 'timed out'}")
            settle()
            pid = before.pop()
            used.add(pid)
            served.append(memory(psutil.Process(pid)) | {"answered": outcome.answered if outcome else 0})
        server.wait_warm(1)
        settle()
        for k in server.kernels():
            if k.pid not in used:
                warm.append(memory(k))
        server_mem = memory(psutil.Process(server.proc.pid))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    return served, warm, server_mem, problems


def start_times(repeat: int, fork: bool) -> tuple[list[dict], float | None]:
    """Seconds from asking for a kernel to its first reply and to its having imported the participant app."""
    import asyncio

    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    from toolkit.serve import participant_kernelspec

    folder = work_dir("tk-memory-start-")
    specs = KernelSpecManager(kernel_dirs=[str(participant_kernelspec(folder, fork))])

    async def one(i: int) -> dict:
        km = AsyncKernelManager(kernel_name="participant", kernel_spec_manager=specs, transport="ipc",
                                connection_file=str(folder / f"kernel-{i}.json"))
        asked = time.monotonic()
        await km.start_kernel(env=dict(os.environ), cwd=str(folder))
        kc = km.client()
        kc.start_channels()
        replied = None
        while replied is None and time.monotonic() - asked < 120:  # the kernel's own first answer
            kc.kernel_info()
            with contextlib.suppress(queue.Empty):
                while (await kc.get_shell_msg(timeout=0.05))["msg_type"] != "kernel_info_reply":
                    pass
                replied = time.monotonic() - asked
        await kc.wait_for_ready(timeout=120)  # and jupyter_client's ready: it waits for IOPub to be quiet 0.2 s
        ready = time.monotonic() - asked
        await kc.execute_interactive("from toolkit.apps.participant import ParticipantApp", timeout=120)
        app = time.monotonic() - asked
        kc.stop_channels()
        await km.shutdown_kernel()
        return {"reply": replied, "ready": ready, "app": app}

    async def all_of_them() -> tuple[list[dict], float | None]:
        first = None
        if fork:
            first = (await one(0))["ready"]  # starts the template too
        return [await one(i + 1) for i in range(repeat)], first

    try:
        return asyncio.run(all_of_them())
    finally:
        current = forking.Template.current
        if current is not None:
            forking.Template._close(current.proc, current.folder)
            forking.Template.current = None
        shutil.rmtree(folder, ignore_errors=True)


def plain_widgets_kernels(repeat: int) -> list[dict]:
    folder = work_dir("tk-memory-plain-")
    notebook = folder / "widgets.ipynb"
    notebook.write_text(json.dumps(PLAIN_NOTEBOOK))
    server = start_plain("widgets", notebook, folder)
    out = []
    try:
        server.wait_started()
        for _ in range(repeat):
            before = {k.pid for k in server.kernels()}
            with urllib.request.urlopen(server.url, timeout=300) as r:  # the page load runs the notebook
                r.read()
            settle()
            new = [k for k in server.kernels() if k.pid not in before]
            if len(new) != 1:
                raise RuntimeError(f"expected one new kernel, found {len(new)}")
            out.append(memory(new[0]))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def plain_participant_kernels(repeat: int, banks: Path | None, cap_s: float) -> tuple[list[dict], list[str]]:
    data = work_dir("tk-memory-plain-participant-")
    code = seed_store(data, banks)["join_code"]
    env = toolkit_env(data, banks, "http://127.0.0.1/")
    server = start_plain("participant", config.notebooks_dir() / "participant.ipynb", data,
                         {k: v for k, v in env.items() if k.startswith("TOOLKIT_")})
    out, problems = [], []
    try:
        server.wait_started()
        for i in range(repeat):
            before = {k.pid for k in server.kernels()}
            run = play(server.url, code, 1, cap_s=cap_s, timeout=cap_s, first=i)
            outcome = run.outcomes[0]
            if outcome is None or not outcome.submitted:
                problems.append(f"plain participant {i + 1} did not finish: "
                                f"{outcome.error if outcome else 'timed out'}")
            settle()
            new = [k for k in server.kernels() if k.pid not in before]
            if len(new) != 1:
                raise RuntimeError(f"expected one new kernel, found {len(new)}")
            out.append(memory(new[0]))
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)
    return out, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="participants (page loads) measured per setup")
    parser.add_argument("--banks", type=Path, default=None, help="question banks (default: the shipped ones)")
    parser.add_argument("--cap", type=float, default=300, help="seconds one quiz may take (default 300)")
    parser.add_argument("--skip-plain-participant", action="store_true",
                        help="skip plain Voila on the participant notebook")
    parser.add_argument("--skip-no-warm-up", action="store_true",
                        help="skip forked kernels from a template without its compiled templates")
    parser.add_argument("--starts", type=int, default=5, help="kernel starts timed per way (default 5)")
    args = parser.parse_args()
    banner("participant kernel memory: after a full quiz, against a plain ipywidgets + pandas page")
    why_not = forking.available()
    if why_not:
        print(f"   forking is not available here ({why_not}): only kernels started from scratch are measured")
    print(f"   {load_average()} (at the start)")

    forked: list[dict] = []
    forked_warm: list[dict] = []
    unwarmed: list[dict] = []
    if why_not is None:
        forked, forked_warm, _mem, problems = toolkit_kernels(args.repeat, args.banks, args.cap, fork=True)
        fork_starts, first_fork = start_times(args.starts, fork=True)
        if not args.skip_no_warm_up:
            os.environ[forking.WARM_UP_ENV] = "0"  # the servers, and so their templates, inherit it
            try:
                unwarmed, unwarmed_warm, _mem, more = toolkit_kernels(args.repeat, args.banks, args.cap, fork=True)
                problems += more
            finally:
                del os.environ[forking.WARM_UP_ENV]
    served, warm, server_mem, more = toolkit_kernels(args.repeat, args.banks, args.cap, fork=False)
    problems = (problems if why_not is None else []) + more
    scratch_starts, _ = start_times(args.starts, fork=False)
    plain = plain_widgets_kernels(args.repeat)
    plain_participant: list[dict] = []
    if not args.skip_plain_participant:
        plain_participant, more = plain_participant_kernels(args.repeat, args.banks, args.cap)
        problems += more

    answered = served[0].get("answered", 0) if served else 0
    if forked:
        print(f"   toolkit participant kernel, forked (toolkit.forking), after a full quiz "
              f"({forked[0].get('answered', 0)} answers):")
        print(f"       {fmt(forked)}   goal: USS at most 15 MiB")
        print("   toolkit warm pool kernel, forked (notebook run, nobody served yet):")
        print(f"       {fmt(forked_warm)}")
    if unwarmed:
        print(f"   the same, forked from a template that did not compile the participant's templates first ({forking.WARM_UP_ENV}=0):")
        print(f"       after a full quiz: {fmt(unwarmed)}")
        print(f"       warm pool kernel:  {fmt(unwarmed_warm)}")
        print("   ratio forked with / without the templates compiled before the fork, after a full quiz: "
              f"USS {ratio(median_of(forked, 'uss'), median_of(unwarmed, 'uss'))}, "
              f"PSS {ratio(median_of(forked, 'pss'), median_of(unwarmed, 'pss'))}; warm pool kernel: "
              f"USS {ratio(median_of(forked_warm, 'uss'), median_of(unwarmed_warm, 'uss'))}")
    print(f"   toolkit participant kernel{', started from scratch (--no-fork),' if forked else ''} after a full quiz "
          f"({answered} answers" + (", submitted):" if not problems else "; see the problems below):"))
    print(f"       {fmt(served)}")
    print("   toolkit warm pool kernel (notebook run, nobody served yet):")
    print(f"       {fmt(warm)}")
    print("   plain Voila kernel, `import ipywidgets, pandas; ipywidgets.Button()`:")
    print(f"       {fmt(plain)}")
    if plain_participant:
        print("   plain Voila kernel, the participant notebook after the same full quiz:")
        print(f"       {fmt(plain_participant)}")
    print("   ratio toolkit participant kernel / plain ipywidgets + pandas kernel: "
          f"RSS {ratio(median_of(served, 'rss'), median_of(plain, 'rss'))}, "
          f"USS {ratio(median_of(served, 'uss'), median_of(plain, 'uss'))}")
    if plain_participant:
        print("   ratio toolkit participant kernel / plain Voila on the participant notebook: "
              f"RSS {ratio(median_of(served, 'rss'), median_of(plain_participant, 'rss'))}, "
              f"USS {ratio(median_of(served, 'uss'), median_of(plain_participant, 'uss'))}")
    if forked:
        print("   ratio forked / from scratch, after a full quiz: "
              f"RSS {ratio(median_of(forked, 'rss'), median_of(served, 'rss'))}, "
              f"USS {ratio(median_of(forked, 'uss'), median_of(served, 'uss'))}, "
              f"PSS {ratio(median_of(forked, 'pss'), median_of(served, 'pss'))}")
        print(f"   kernel start, forked (median of {len(fork_starts)}): first kernel_info reply "
              f"{median_of(fork_starts, 'reply'):.3f} s, ready {median_of(fork_starts, 'ready'):.3f} s, "
              f"participant app imported {median_of(fork_starts, 'app'):.3f} s   goal: ready at most 0.3 s "
              f"(the first, which also starts the template: ready {first_fork:.2f} s)")
    print(f"   kernel start, from scratch (median of {len(scratch_starts)}): first kernel_info reply "
          f"{median_of(scratch_starts, 'reply'):.3f} s, ready "
          f"{median_of(scratch_starts, 'ready'):.3f} s, participant app imported {median_of(scratch_starts, 'app'):.3f} s")
    if forked:
        print("   ratio forked / from scratch, start: "
              f"ready {ratio(median_of(fork_starts, 'ready'), median_of(scratch_starts, 'ready'))}, "
              f"participant app imported {ratio(median_of(fork_starts, 'app'), median_of(scratch_starts, 'app'))}")
    for label, kernels, fork in (("forked", forked, True), ("from scratch", served, False)):
        if not kernels:
            continue
        cost = measure_kernel(fork)
        uss = median_of(kernels, "uss")
        print(f"   toolkit serve counts, {label}: {cost.per_participant_mb} MB a participant (measure_kernel: "
              f"{cost.unique_mb:.1f} MiB USS at the start + QUIZ_GROWTH_MB {QUIZ_GROWTH_MB[cost.forked]})"
              + (f"; measured after a full quiz: USS {uss:.1f} MiB ({cost.per_participant_mb / uss:.2f}× that)"
                 if uss else "") + (f"; not measured: {cost.why_assumed}" if cost.why_assumed else ""))
    print(f"   the participant server itself: RSS {server_mem['rss']:.0f} MiB "
          f"(SERVER_MB = {SERVER_MB} MB counts both servers)")
    for p in problems:
        print(f"   problem: {p}")
    print(f"   {load_average()} (at the end)")


if __name__ == "__main__":
    main()
