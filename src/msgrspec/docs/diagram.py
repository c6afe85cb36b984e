"""A state machine drawn as inline SVG, laid out at build time: the site loads nothing to draw it.

States are placed in layers by their distance from the initial state (left to right), in the order the
machine lists them within a layer. Each transition that changes a state is an arrow labelled with its
operations (and role), marked (both) where the other party's object moves the same way; a change to the
other party's object alone is a dashed arrow. Calls that leave
the state as it is are in the table of cells, not in the drawing.
"""
from __future__ import annotations

from collections import defaultdict, deque
from html import escape

from ..model import StateMachine

BOX_W, BOX_H = 170, 36
GAP_X, GAP_Y = 110, 44
MARGIN = 24
FONT = 12


def _layers(machine: StateMachine, edges: dict[tuple[str, str], list[str]]) -> dict[str, int]:
    depth = {machine.initial: 0}
    queue = deque([machine.initial])
    while queue:
        state = queue.popleft()
        for (source, target) in edges:
            if source == state and target not in depth:
                depth[target] = depth[state] + 1
                queue.append(target)
    for state in machine.states:
        depth.setdefault(state, 0)
    return depth


def _edges(machine: StateMachine) -> tuple[dict, dict]:
    """(from, to) -> labels, for the caller's changes and for the changes made to the other party's object."""
    own: dict[tuple[str, str], list[str]] = defaultdict(list)
    peer: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in machine.transitions:
        label = t.operation + (f"/{t.role}" if t.role else "")
        if t.to_state != t.from_state and label not in own[(t.from_state, t.to_state)]:
            own[(t.from_state, t.to_state)].append(label)
        effect = t.peer
        if effect is not None and effect.before and effect.after and effect.after != effect.before:
            if label not in peer[(effect.before, effect.after)]:
                peer[(effect.before, effect.after)].append(label)
    return own, peer


def machine_svg(machine: StateMachine) -> str:
    """The SVG element (one line per element, no blank line, so Markdown passes it through untouched)."""
    own, peer = _edges(machine)
    depth = _layers(machine, {**own, **peer})
    columns: dict[int, list[str]] = defaultdict(list)
    for state in machine.states:
        columns[depth[state]].append(state)
    place = {}
    for layer, states in columns.items():
        for row, state in enumerate(states):
            place[state] = (MARGIN + layer * (BOX_W + GAP_X), MARGIN + 20 + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + GAP_X) - GAP_X
    height = MARGIN * 2 + 20 + max(len(s) for s in columns.values()) * (BOX_H + GAP_Y) - GAP_Y + 30
    title = escape(f"{machine.name} state machine")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="msgrspec-machine" role="img" '
           f'aria-label="{title}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="{FONT}">',
           f"<title>{title}</title>",
           '<defs><marker id="msgrspec-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/>'
           "</marker></defs>"]
    both = {pair for pair in own if set(peer.get(pair, ())) == set(own[pair])}
    for dashed, edges in ((False, own), (True, peer)):
        for (source, target), labels in edges.items():
            if dashed and (source, target) in both:
                continue  # the call moves both parties' objects the same way: one arrow says it
            label = ", ".join(labels) + (" (both)" if (source, target) in both else "")
            out.append(_arrow(place[source], place[target], label, dashed,
                              bend=(target, source) in own or (target, source) in peer))
    x0, y0 = place[machine.initial]
    out.append(f'<circle cx="{x0 - 12}" cy="{y0 + BOX_H / 2}" r="5" fill="currentColor"/>')
    for state, (x, y) in place.items():
        out.append(f'<g class="msgrspec-state" data-state="{escape(state)}"><rect x="{x}" y="{y}" width="{BOX_W}" '
                   f'height="{BOX_H}" rx="10" fill="none" stroke="currentColor" stroke-width="1.5"/>'
                   f'<text x="{x + BOX_W / 2}" y="{y + BOX_H / 2 + FONT / 3}" text-anchor="middle" '
                   f'fill="currentColor">{escape(state)}</text></g>')
    legend = "arrows: the caller's object"
    if both:
        legend += "; (both): the other party's object moves the same way"
    if set(peer) - both:
        legend += "; dashed: only the other party's object moves"
    out.append(f'<text x="{MARGIN}" y="{height - 10}" fill="currentColor">{escape(legend)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _arrow(start: tuple[int, int], end: tuple[int, int], label: str, dashed: bool, bend: bool) -> str:
    (x1, y1), (x2, y2) = start, end
    forward = x2 > x1
    ax, ay = (x1 + BOX_W, y1 + BOX_H / 2) if forward else (x1 + BOX_W / 2, y1 + (BOX_H if y2 >= y1 else 0))
    bx, by = (x2, y2 + BOX_H / 2) if forward else (x2 + BOX_W / 2, y2 + (0 if y2 >= y1 else BOX_H))
    offset = (14 if dashed else -14) + (10 if bend else 0)
    mx, my = (ax + bx) / 2, (ay + by) / 2 + offset
    lx, ly = ax + 0.6 * (bx - ax), ay + 0.6 * (by - ay) + offset / 2  # near the target: fanned labels part
    style = ' stroke-dasharray="5,4"' if dashed else ""
    return (f'<g class="msgrspec-transition"><path d="M{ax},{ay} Q{mx},{my} {bx},{by}" fill="none" '
            f'stroke="currentColor" stroke-width="1.2"{style} marker-end="url(#msgrspec-arrow)"/>'
            f'<text x="{lx}" y="{ly - 4}" text-anchor="middle" fill="currentColor" font-size="{FONT - 1}">'
            f"{escape(label)}</text></g>")
