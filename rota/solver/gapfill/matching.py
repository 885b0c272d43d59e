"""An upper bound on shifts filled: a maximum b-matching that ignores the safe-working rules.

Left nodes are open shifts, right nodes are (worker, calendar week) pairs whose capacity is how
many more shifts the worker takes that week (their own weekly limit, less bank shifts already
booked). Any proposal is such a matching with extra constraints, so its size bounds every
proposal. Hopcroft-Karp adapted to capacities: a right node with spare capacity ends an
augmenting path; a full one passes on to each shift matched to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

_INF = 1 << 30


def max_b_matching(
    adjacency: Sequence[Sequence[int]], capacity: Sequence[int]
) -> tuple[int, list[int]]:
    """Maximum matching of left nodes to right nodes with capacities.

    Args:
        adjacency: For each left node, the right nodes it may be matched to.
        capacity: For each right node, how many left nodes it can take.

    Returns:
        (size of the matching, right node of each left node or -1).
    """
    n_left = len(adjacency)
    match = [-1] * n_left
    load = [0] * len(capacity)
    holders: list[list[int]] = [[] for _ in capacity]
    # Greedy start, most constrained shifts first: on a loose market this is already maximum.
    for i in sorted(range(n_left), key=lambda i: len(adjacency[i])):
        for r in adjacency[i]:
            if load[r] < capacity[r]:
                match[i], load[r] = r, load[r] + 1
                holders[r].append(i)
                break
    while True:
        dist = _layers(adjacency, capacity, match, load, holders)
        if dist is None:
            break
        augmented = 0
        for i in range(n_left):
            if match[i] == -1 and _augment(i, adjacency, capacity, match, load, holders, dist):
                augmented += 1
        if not augmented:
            break
    return sum(1 for r in match if r != -1), match


def _layers(adjacency, capacity, match, load, holders) -> list[int] | None:
    """BFS layers from free left nodes; None when no augmenting path exists."""
    dist = [_INF] * len(adjacency)
    queue = deque()
    for i, r in enumerate(match):
        if r == -1:
            dist[i] = 0
            queue.append(i)
    found = False
    seen_right = bytearray(len(capacity))
    while queue:
        i = queue.popleft()
        for r in adjacency[i]:
            if r == match[i] or seen_right[r]:
                continue
            seen_right[r] = 1
            if load[r] < capacity[r]:
                found = True
                continue
            for j in holders[r]:
                if dist[j] == _INF:
                    dist[j] = dist[i] + 1
                    queue.append(j)
    return dist if found else None


def _moves(i, adjacency, capacity, match, load, holders, dist):
    """Where left node ``i`` can go next: (right node, -1) if it has room, else (r, holder)."""
    for r in adjacency[i]:
        if r == match[i]:
            continue
        if load[r] < capacity[r]:
            yield r, -1
            continue
        for j in holders[r]:
            if dist[j] == dist[i] + 1:
                yield r, j


def _augment(start, adjacency, capacity, match, load, holders, dist) -> bool:
    """Find one augmenting path from free left node ``start`` along the layers (iteratively)."""
    nodes = [start]
    moves = [_moves(start, adjacency, capacity, match, load, holders, dist)]
    via: list[int] = []  # right node each stacked left node moves to
    while moves:
        step = next(moves[-1], None)
        if step is None:
            dist[nodes[-1]] = _INF  # dead end: never try it again this phase
            nodes.pop()
            moves.pop()
            if via:
                via.pop()
            continue
        r, j = step
        via.append(r)
        if j == -1:
            # Augment: each stacked left node moves to the right node after it.
            for node, target in zip(nodes, via, strict=True):
                old = match[node]
                if old != -1:
                    holders[old].remove(node)
                    load[old] -= 1
                match[node] = target
                holders[target].append(node)
                load[target] += 1
            return True
        nodes.append(j)
        moves.append(_moves(j, adjacency, capacity, match, load, holders, dist))
    return False
