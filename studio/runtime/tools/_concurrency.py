"""Where tool code runs: inline, on the shared thread pool, or on a private event loop.

* One module-level `ThreadPoolExecutor`, created on first use, runs the calls of a multi-call reply side by side.
  Each call runs in a copy of the caller's `contextvars` context, so `studio.events.current_bus()` and tracing spans
  still work inside tools.
* A tool that itself runs a chat with several tool calls would, from inside a pool worker, wait on the same pool and
  could starve it; nested batches therefore run on fresh threads instead.
* Async tools called from synchronous code run on a private event loop kept per thread (creating a loop per call
  would cost more than the call). If the calling thread is already running a loop (sync code called from async code),
  `run_until_complete` is impossible there, so the awaitable is finished on another thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_awaitable", "run_concurrently", "run_in_thread", "shared_pool"]

T = TypeVar("T")
_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _mark_worker() -> None:
    _local.worker = True


def shared_pool() -> ThreadPoolExecutor:
    """The pool that runs concurrent tool calls (threads are named `studio-tool_N`)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=min(32, (os.cpu_count() or 1) + 4),
                    thread_name_prefix="studio-tool",
                    initializer=_mark_worker,
                )
    return _pool


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _local.loop = loop
    return loop


def _close_thread_loop() -> None:
    loop = getattr(_local, "loop", None)
    if loop is not None and not loop.is_closed():
        loop.close()


def _finish(aw: Awaitable[T]) -> T:
    return _thread_loop().run_until_complete(aw)


def run_awaitable(aw: Awaitable[T]) -> T:
    """Run `aw` to completion from synchronous code and return its result (or raise its exception)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _finish(aw)
    return run_concurrently([lambda: _finish(aw)])[0]


def run_concurrently(thunks: list[Callable[[], T]]) -> list[T]:
    """Run the thunks side by side and return their results in order (an exception is re-raised after all end)."""
    contexts = [contextvars.copy_context() for _ in thunks]
    if not getattr(_local, "worker", False):
        futures = [shared_pool().submit(ctx.run, thunk) for ctx, thunk in zip(contexts, thunks, strict=True)]
        return [f.result() for f in futures]
    results: list[Any] = [None] * len(thunks)
    errors: list[BaseException | None] = [None] * len(thunks)

    def fresh(i: int) -> None:
        _local.worker = True
        try:
            results[i] = contexts[i].run(thunks[i])
        except BaseException as e:  # handed to the waiting caller, who re-raises it
            errors[i] = e
        finally:
            _close_thread_loop()

    threads = [threading.Thread(target=fresh, args=(i,), name="studio-tool-nested") for i in range(len(thunks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results


async def run_in_thread(thunk: Callable[[], T]) -> T:
    """Await `thunk()` run on the shared pool (on the loop's own executor when already inside a pool worker)."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    executor = None if getattr(_local, "worker", False) else shared_pool()
    return await loop.run_in_executor(executor, ctx.run, thunk)
