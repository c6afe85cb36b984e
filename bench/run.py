"""msgrspec benchmarks: every figure a ratio against a baseline measured in the same run.

    python bench/run.py [--json bench/results.json] [--only validate,scale,suite,docs] [--quick]

Prints a table and writes every figure as JSON. Each measurement is a child
process, timed from outside (wall clock, median of repeats) and with its peak
resident memory from os.wait4 (which takes in the child's own children, e.g.
pytest-xdist workers and the mkdocs run of `msgrspec docs build`). A warm-up run
of each command comes first, so that bytecode and the model cache are as a
user's second run finds them. PYTHONDONTWRITEBYTECODE is removed from the
children's environment: some sandboxes set it, no normal installation does,
and without bytecode every import is compiled again (and pytest rewrites the
assertions of every plugin module again), to the baseline's cost as much as ours.

- validate: `msgrspec validate` (schema, model and semantic checks) vs
  `check-jsonschema` with the same schema on the same files; ours cold (model
  cache off, so everything is parsed and checked) and warm.
- scale: load + validate + export (JSON text) of synthetic specs 1x, 10x and
  100x the shipped one (bench/synth.py), in-process time per item; the slope
  is per-item time at Nx over per-item time at 1x. Docs page generation is
  timed alongside, for information.
- suite: the conformance suite against the reference implementation vs a bare
  pytest run of as many trivial parametrized tests; serial and with -n 2.
- docs: `mkdocs build --strict` of the repository's mkdocs.yml (the msgrspec
  plugin generates the reference pages) vs `mkdocs build --strict` of the very
  same pages written out as static files; `msgrspec docs build` for information.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402  (bench/synth.py)

from msgrspec import resources  # noqa: E402

#: target for each ratio: (at most, what it compares)
TARGETS = {
    "validate": 1.0,
    "scale_slope_100x": 1.5,
    "suite_per_test": 2.0,
    "docs_build": 1.5,
}
FACTORS = (1, 10, 100)


# ------------------------------------------------------------------------------------------ running children

def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(extra)
    return env


class Run:
    """One finished child: wall seconds, peak memory (MiB), exit status, output."""

    def __init__(self, seconds: float, peak_mib: float, status: int, stdout: str, stderr: str):
        self.seconds, self.peak_mib, self.status, self.stdout, self.stderr = seconds, peak_mib, status, stdout, stderr


def run(command: list[str], *, cwd: Path | str | None = None, env: dict[str, str] | None = None,
        ok: tuple[int, ...] = (0,)) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=env or child_env(), stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        result = Run(seconds, usage.ru_maxrss / 1024, child.returncode, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"))
    if result.status not in ok:
        sys.exit(f"failed ({result.status}): {' '.join(map(str, command))}\n{result.stdout[-3000:]}\n"
                 f"{result.stderr[-3000:]}")
    return result


def repeated(command: list[str], repeat: int, *, warm_up: bool = True, **kwargs) -> dict:
    """Median wall time and peak memory of `repeat` runs (after one warm-up run)."""
    if warm_up:
        run(command, **kwargs)
    runs = [run(command, **kwargs) for _ in range(repeat)]
    return {"seconds": statistics.median(r.seconds for r in runs),
            "peak_mib": max(r.peak_mib for r in runs),
            "runs": [round(r.seconds, 4) for r in runs]}


def interleaved(commands: dict[str, tuple[list[str], dict]], repeat: int) -> dict[str, dict]:
    """Like `repeated` for several commands, run in turns (a, b, a, b, ...) after one warm-up each, so that a
    change in the machine's load while the benchmark runs falls on all of them alike."""
    for command, kwargs in commands.values():
        run(command, **kwargs)
    runs: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, (command, kwargs) in commands.items():
            runs[label].append(run(command, **kwargs))
    return {label: {"seconds": statistics.median(r.seconds for r in done),
                    "peak_mib": max(r.peak_mib for r in done),
                    "runs": [round(r.seconds, 4) for r in done]} for label, done in runs.items()}


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("inf")


def figure(name: str, value: float, measured: str, baseline: str, note: str = "") -> dict:
    target = TARGETS.get(name)
    return {"name": name, "ratio": value, "target": target, "met": None if target is None else value <= target,
            "measured": measured, "baseline": baseline, "note": note}


# ------------------------------------------------------------------------------------------ validate

def bench_validate(repeat: int, work: Path) -> tuple[list[dict], dict]:
    spec = resources.spec_dir()
    files = [str(p) for p in sorted(spec.rglob("*.yaml"))]
    schema = str(Path(resources.__file__).parent / "schema" / "spec.schema.json")
    ours = [sys.executable, "-m", "msgrspec", "validate", str(spec)]
    theirs = [sys.executable, "-m", "check_jsonschema", "--schemafile", schema, *files]
    cache = str(work / "model-cache")
    measured = interleaved({"cold": (ours, {"env": child_env(MSGRSPEC_NO_CACHE="1")}),
                            "warm": (ours, {"env": child_env(MSGRSPEC_CACHE_DIR=cache)}),
                            "base": (theirs, {})}, repeat)
    cold, warm, base = measured["cold"], measured["warm"], measured["base"]
    data = {"files": len(files), "msgrspec_cold": cold, "msgrspec_warm": warm, "check_jsonschema": base}
    figures = [
        figure("validate", ratio(cold["seconds"], base["seconds"]),
               f"msgrspec validate, cache off: {cold['seconds']:.2f} s, {cold['peak_mib']:.0f} MiB",
               f"check-jsonschema: {base['seconds']:.2f} s, {base['peak_mib']:.0f} MiB",
               f"{len(files)} files; msgrspec also builds the model and runs the semantic checks"),
        figure("validate_warm", ratio(warm["seconds"], base["seconds"]),
               f"msgrspec validate, model cached: {warm['seconds']:.2f} s, {warm['peak_mib']:.0f} MiB",
               f"check-jsonschema: {base['seconds']:.2f} s"),
    ]
    return figures, data


# ------------------------------------------------------------------------------------------ scale

def child_scale(spec_dir: str, pages: bool) -> None:
    """In a child: time load + validate + export (and page generation) of one spec; print JSON."""
    import gc

    from msgrspec.export import export
    from msgrspec.loader import load_spec

    started = time.perf_counter()
    spec = load_spec(spec_dir)
    loaded = time.perf_counter()
    text = json.dumps(export(spec), indent=2)
    exported = time.perf_counter()
    items = sum(1 for _ in spec.items()) + len(spec.requirements) + len(spec.errata)
    result = {"items": items, "load_s": loaded - started, "export_s": exported - loaded, "export_bytes": len(text)}
    del text
    if pages:
        from msgrspec.docs.pages import generate_pages

        gc.collect()
        started = time.perf_counter()
        site = generate_pages(spec)
        result["pages_s"] = time.perf_counter() - started
        result["pages"] = len(site.pages)
    print(json.dumps(result))


def _child_results(spec_dir: Path, count: int, env: dict[str, str], pages: bool = False) -> tuple[list, list]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child-scale", str(spec_dir)]
    runs = [run(command + (["--pages"] if pages else []), env=env) for _ in range(count)]
    return runs, [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs]


def bench_scale(repeats: dict[int, int], work: Path) -> tuple[list[dict], dict]:
    data: dict = {}
    generated: dict[int, Path] = {}
    started = time.perf_counter()
    for factor in repeats:
        generated[factor] = synth.write_scaled(factor, work / f"spec-{factor}x")
    data["generate_seconds"] = round(time.perf_counter() - started, 2)
    cached = child_env(MSGRSPEC_CACHE_DIR=str(work / "model-cache"))
    for factor, count in repeats.items():
        # load + validate + export with the model cache off; then page generation (timed alone, the model
        # coming from the cache, once for the largest spec: it is the slowest figure and for information only)
        runs, results = _child_results(generated[factor], count, child_env(MSGRSPEC_NO_CACHE="1"))
        _child_results(generated[factor], 1, cached)
        _, page_results = _child_results(generated[factor], 1 if factor == max(repeats) else count, cached, True)
        items = results[0]["items"]
        lve = statistics.median(r["load_s"] + r["export_s"] for r in results)
        pages = statistics.median(r["pages_s"] for r in page_results)
        data[f"{factor}x"] = {
            "items": items, "repeats": count,
            "load_s": round(statistics.median(r["load_s"] for r in results), 4),
            "export_s": round(statistics.median(r["export_s"] for r in results), 4),
            "load_validate_export_s": round(lve, 4), "us_per_item": round(1e6 * lve / items, 2),
            "pages_s": round(pages, 4), "pages_us_per_item": round(1e6 * pages / items, 2),
            "pages": page_results[0]["pages"], "peak_mib": round(max(r.peak_mib for r in runs), 1),
            "wall_s": round(statistics.median(r.seconds for r in runs), 3),
        }
    # the largest spec again, its model served by the cache
    largest = max(repeats)
    _, (warm,) = _child_results(generated[largest], 1, cached)
    data[f"{largest}x_cached"] = {"load_s": round(warm["load_s"], 4), "export_s": round(warm["export_s"], 4)}

    one = data["1x"]
    figures = []
    for factor in repeats:
        if factor == 1:
            continue
        this = data[f"{factor}x"]
        figures.append(figure(
            f"scale_slope_{factor}x", ratio(this["us_per_item"], one["us_per_item"]),
            f"{factor}x: {this['items']} items, {this['load_validate_export_s']:.2f} s = "
            f"{this['us_per_item']:.0f} us/item, {this['peak_mib']:.0f} MiB",
            f"1x: {one['items']} items, {one['load_validate_export_s']:.3f} s = {one['us_per_item']:.0f} us/item, "
            f"{one['peak_mib']:.0f} MiB", "load + validate + export, model cache off"))
    for factor in repeats:
        if factor == 1:
            continue
        this = data[f"{factor}x"]
        figures.append(figure(
            f"docs_pages_slope_{factor}x", ratio(this["pages_us_per_item"], one["pages_us_per_item"]),
            f"{factor}x: {this['pages']} pages in {this['pages_s']:.2f} s = {this['pages_us_per_item']:.0f} us/item",
            f"1x: {one['pages']} pages in {one['pages_s']:.3f} s = {one['pages_us_per_item']:.0f} us/item",
            "generating the reference pages in memory, for information"))
    cached = data[f"{largest}x_cached"]
    big = data[f"{largest}x"]
    figures.append(figure(
        f"scale_cached_{largest}x", ratio(cached["load_s"], big["load_s"]),
        f"{largest}x load from the model cache: {cached['load_s']:.2f} s",
        f"{largest}x load, cache off: {big['load_s']:.2f} s", "for information"))
    return figures, data


# ------------------------------------------------------------------------------------------ suite

def bench_suite(repeat: int, work: Path, adapter: str = "reference") -> tuple[list[dict], dict]:
    suite = resources.conformance_dir()
    report = work / "report.json"
    base_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    suite_cmd = base_args + [str(suite), "-c", str(suite / "pytest.ini"), "--rootdir", str(suite),
                             "--msgrspec-adapter", adapter]
    counted = run(suite_cmd + ["--msgrspec-report", str(report)], cwd=work, ok=(0, 1))
    tests = len(json.loads(report.read_text())["tests"])
    bare_dir = work / "bare"
    bare_dir.mkdir(exist_ok=True)
    (bare_dir / "test_bare.py").write_text(
        f"import pytest\n\n\n@pytest.mark.parametrize('i', range({tests}))\ndef test_trivial(i):\n"
        f"    assert i >= 0\n")
    (bare_dir / "pytest.ini").write_text("[pytest]\n")
    bare_cmd = base_args + [str(bare_dir), "-c", str(bare_dir / "pytest.ini"), "--rootdir", str(bare_dir)]
    data: dict = {"tests": tests, "count_run_seconds": round(counted.seconds, 3)}
    if importlib.util.find_spec("xdist") is None:
        sys.exit("the suite figures need pytest-xdist (pip install pytest-xdist)")
    for label, extra in (("serial", []), ("n2", ["-n", "2"])):
        measured = interleaved({"suite": (suite_cmd + extra, {"cwd": work, "ok": (0, 1)}),
                                "bare": (bare_cmd + extra, {"cwd": work})}, repeat)
        data[f"suite_{label}"], data[f"bare_{label}"] = measured["suite"], measured["bare"]
    s, b = data["suite_serial"], data["bare_serial"]
    s2, b2 = data["suite_n2"], data["bare_n2"]

    def per_test(seconds: float) -> float:
        return 1000 * seconds / tests

    figures = [
        figure("suite_per_test", ratio(s["seconds"], b["seconds"]),
               f"suite, serial: {s['seconds']:.2f} s = {per_test(s['seconds']):.2f} ms/test, {s['peak_mib']:.0f} MiB",
               f"bare pytest, serial: {b['seconds']:.2f} s = {per_test(b['seconds']):.2f} ms/test, "
               f"{b['peak_mib']:.0f} MiB", f"{tests} tests"),
        figure("suite_per_test_n2", ratio(s2["seconds"], b2["seconds"]),
               f"suite, -n 2: {s2['seconds']:.2f} s = {per_test(s2['seconds']):.2f} ms/test, "
               f"{s2['peak_mib']:.0f} MiB",
               f"bare pytest, -n 2: {b2['seconds']:.2f} s = {per_test(b2['seconds']):.2f} ms/test, "
               f"{b2['peak_mib']:.0f} MiB", "for information"),
        figure("suite_n2_vs_serial", ratio(s2["seconds"], s["seconds"]),
               f"suite, -n 2: {s2['seconds']:.2f} s", f"suite, serial: {s['seconds']:.2f} s",
               "below 1: -n 2 is faster; for information"),
    ]
    return figures, data


# ------------------------------------------------------------------------------------------ docs

def bench_docs(repeat: int, work: Path) -> tuple[list[dict], dict]:
    from msgrspec.docs.build import handwritten_dir, write_project
    from msgrspec.loader import load_spec

    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"]
    static_root = work / "static-docs"
    config = write_project(static_root, load_spec(), None, handwritten_dir())
    pages = sum(1 for _ in (static_root / "docs").rglob("*.md"))
    sizes = [p.stat().st_size for p in (static_root / "docs").rglob("*.md")]
    measured = interleaved({
        "plugin": (mkdocs + ["-f", str(REPO / "mkdocs.yml"), "-d", str(work / "site-plugin")], {"cwd": REPO}),
        "static": (mkdocs + ["-f", str(config), "-d", str(work / "site-static")], {"cwd": static_root})}, repeat)
    generated, static = measured["plugin"], measured["static"]
    cli = repeated([sys.executable, "-m", "msgrspec", "docs", "build", "-o", str(work / "site-cli")], 1,
                   warm_up=False, cwd=work)
    data = {"pages": pages, "markdown_bytes": sum(sizes), "plugin_build": generated, "static_build": static,
            "msgrspec_docs_build": cli}
    figures = [
        figure("docs_build", ratio(generated["seconds"], static["seconds"]),
               f"mkdocs build, msgrspec plugin: {generated['seconds']:.2f} s, {generated['peak_mib']:.0f} MiB",
               f"mkdocs build, the same {pages} pages as static files ({sum(sizes) // 1024} KiB of Markdown): "
               f"{static['seconds']:.2f} s, {static['peak_mib']:.0f} MiB"),
        figure("docs_build_cli", ratio(cli["seconds"], static["seconds"]),
               f"msgrspec docs build: {cli['seconds']:.2f} s, {cli['peak_mib']:.0f} MiB",
               f"static pages: {static['seconds']:.2f} s", "for information"),
    ]
    return figures, data


# ------------------------------------------------------------------------------------------ report

def table(figures: list[dict]) -> str:
    lines = ["| figure | ratio | target | met | measured | baseline |", "| --- | ---: | ---: | :---: | --- | --- |"]
    for f in figures:
        target = f"<= {f['target']:g}" if f["target"] is not None else ""
        met = "" if f["met"] is None else ("yes" if f["met"] else "**no**")
        measured = f["measured"] + (f" ({f['note']})" if f["note"] else "")
        lines.append(f"| {f['name']} | {f['ratio']:.2f} | {target} | {met} | {measured} | {f['baseline']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="write the figures here")
    parser.add_argument("--only", default="validate,scale,suite,docs", help="comma-separated sections")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 1x and 10x only")
    parser.add_argument("--child-scale", help=argparse.SUPPRESS)
    parser.add_argument("--pages", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child_scale:
        child_scale(options.child_scale, options.pages)
        return
    sections = [s.strip() for s in options.only.split(",") if s.strip()]
    repeat = 2 if options.quick else 3
    scale_repeats = {1: 3, 10: 2} if options.quick else {1: 9, 10: 3, 100: 3}
    started = time.perf_counter()
    figures: list[dict] = []
    data: dict = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                              "cpus": os.cpu_count(), "load_average": os.getloadavg()}}
    work = Path(tempfile.mkdtemp(prefix="msgrspec-bench-"))
    try:
        for section in sections:
            began = time.perf_counter()
            if section == "validate":
                found, data["validate"] = bench_validate(5 if not options.quick else 3, work)
            elif section == "scale":
                found, data["scale"] = bench_scale(scale_repeats, work)
            elif section == "suite":
                found, data["suite"] = bench_suite(repeat, work)
            elif section == "docs":
                found, data["docs"] = bench_docs(repeat, work)
            else:
                sys.exit(f"unknown section {section!r}")
            figures += found
            print(f"[{section}: {time.perf_counter() - began:.0f} s]", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data["seconds"] = round(time.perf_counter() - started, 1)
    data["figures"] = figures
    print(table(figures))
    print(f"\n{len(figures)} figures in {data['seconds']:.0f} s on {os.cpu_count()} CPUs "
          f"(load average {data['machine']['load_average'][0]:.2f} at the start)")
    if options.json:
        options.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"written to {options.json}")


if __name__ == "__main__":
    main()
