"""`verify_log`: recompute the whole tree from its leaves and check everything stored against it.

It finds edited, deleted, reordered, inserted or truncated leaves, tampered subtree hashes,
checkpoints that are forged or that the log no longer matches, and a database older than the
external checkpoints. Leaves are processed in aligned chunks of 2^16, level by level, so memory
stays bounded and hashing runs in tight loops; with `open_storage` (a picklable factory, such as
`functools.partial(sqlite_storage.open_readonly, path)`) chunks are checked in `workers`
processes in parallel.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from chatseal.audit.checkpoint import Checkpoint, open_checkpoint
from chatseal.audit.external import ExternalCheckpoints, compare
from chatseal.audit.note import Verifier
from chatseal.audit.storage import TreeStorage
from chatseal.audit.tree import AuditTree
from chatseal.errors import ChatSealError, IntegrityError

CHUNK_LEVEL = 16
CHUNK = 1 << CHUNK_LEVEL


@dataclass
class VerifyReport:
    """What `verify_log` checked and every problem it found."""

    size: int = 0
    leaves_checked: int = 0
    checkpoints_checked: int = 0
    external_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether nothing was wrong."""
        return not self.problems


def _compare(
    problems: list[str], level: int, start: int, computed: Sequence[bytes], stored: Sequence[bytes]
) -> None:
    if list(computed) == list(stored):
        return
    for offset, h in enumerate(computed):
        if offset >= len(stored) or stored[offset] != h:
            problems.append(
                f"tree node (level {level}, index {start + offset}) does not match its leaves"
            )
            return
    problems.append(f"tree level {level} holds nodes its leaves do not explain")


def _pair_up(hashes: list[bytes]) -> list[bytes]:
    """Hash each complete pair into its parent (RFC 9162 §2.1.1 node hash)."""
    sha = hashlib.sha256
    it = iter(hashes)
    return [sha(b"\x01" + left + right).digest() for left, right in zip(it, it, strict=False)]


def check_chunk(storage: TreeStorage, start: int, end: int) -> tuple[list[str], int, bytes | None]:
    """Check leaves [start, end) and every node inside them.

    Returns the problems, the number of leaves checked and, for a full chunk, its root.
    """
    problems: list[str] = []
    rows = storage.leaf_rows(start, end)
    if len(rows) != end - start:
        problems.append(f"leaves are missing between {start} and {end}")
        return problems, 0, None
    sha = hashlib.sha256
    level0 = [sha(b"\x00" + data).digest() for data, _ in rows]
    stored0 = [h for _, h in rows]
    if level0 != stored0:
        bad = next(i for i, (a, b) in enumerate(zip(level0, stored0, strict=True)) if a != b)
        problems.append(f"leaf {start + bad} does not match its stored hash")
    current, level = level0, 0
    while len(current) >= 2:
        current = _pair_up(current)
        level += 1
        first = start >> level
        stored = storage.get_level(level, first, first + len(current))
        _compare(problems, level, first, current, stored)
    root = current[0] if end - start == CHUNK else None
    return problems, len(rows), root


def _worker(
    open_storage: Callable[[], TreeStorage], start: int, end: int
) -> tuple[list[str], int, bytes | None]:
    return check_chunk(open_storage(), start, end)


def _check_tree(
    storage: TreeStorage,
    report: VerifyReport,
    workers: int,
    open_storage: Callable[[], TreeStorage] | None,
) -> None:
    size = report.size
    ranges = [(s, min(s + CHUNK, size)) for s in range(0, size, CHUNK)]
    if workers > 1 and open_storage is not None and len(ranges) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(
                pool.map(_worker, [open_storage] * len(ranges), *zip(*ranges, strict=True))
            )
    else:
        results = [check_chunk(storage, s, e) for s, e in ranges]
    roots: list[bytes] = []
    for problems, checked, root in results:
        report.problems.extend(problems)
        report.leaves_checked += checked
        if root is not None:
            roots.append(root)
    level = CHUNK_LEVEL
    while len(roots) >= 2:
        roots = _pair_up(roots)
        level += 1
        _compare(report.problems, level, 0, roots, storage.get_level(level, 0, len(roots)))
    # Rows beyond what the leaves explain (e.g. a node left behind by a deleted tail).
    for lvl, count in storage.node_counts().items():
        if count != size >> lvl:
            report.problems.append(
                f"tree level {lvl} has {count} nodes, the leaves explain {size >> lvl}"
            )


def _check_checkpoint(
    tree: AuditTree, note: str, verifier: Verifier, where: str, report: VerifyReport
) -> Checkpoint | None:
    try:
        checkpoint = open_checkpoint(note, verifier)
    except ChatSealError:
        report.problems.append(f"{where} is not validly signed by this log")
        return None
    try:
        result = compare(tree, checkpoint)
    except IntegrityError:
        report.problems.append(f"{where}: the log is missing tree nodes")
        return checkpoint
    if not result.ok:
        report.problems.append(f"{where}: {result.reason}")
    return checkpoint


def verify_log(
    storage: TreeStorage,
    verifier: Verifier,
    external: ExternalCheckpoints | None = None,
    *,
    workers: int = 1,
    open_storage: Callable[[], TreeStorage] | None = None,
) -> VerifyReport:
    """Recompute the tree and check its nodes, stored checkpoints and external checkpoints."""
    tree = AuditTree(storage)
    report = VerifyReport(size=storage.size())
    _check_tree(storage, report, workers, open_storage)
    for size, note in storage.checkpoints():
        checkpoint = _check_checkpoint(tree, note, verifier, f"stored checkpoint {size}", report)
        if checkpoint is not None and checkpoint.size != size:
            report.problems.append(f"stored checkpoint {size} names size {checkpoint.size}")
        report.checkpoints_checked += 1
    if external is not None:
        for size in external.sizes():
            where = f"external checkpoint {size}"
            _check_checkpoint(tree, external.read(size), verifier, where, report)
            report.external_checked += 1
    return report
