"""For the room, in a real browser at a projector's 1280x720 and at 1600x1000: chart titles clear
of their legends and inside the chart, tile labels not cut, no time of day on a one-month axis,
axis text large and dark, text in charts >= 4.5:1, nothing fetched from outside the machine, and
axe-core finds no serious or critical violation on any page in either audience."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from apps import DRAWN, SHOTS, app_with_token, settled, tab
from conftest import ROOT
from shop import settings

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["", "outreach", "supplies", "referrals", "safe_suite", "friday_network", "bad_dates", "education",
         "data_quality", "reports", "definitions"]
CHART_PAGES = PAGES[:8]
SIZES = {"projector": (1280, 720), "wide": (1600, 1000)}


TOKENS: dict = {}


@pytest.fixture(scope="module")
def app(demo_db):
    with app_with_token(demo_db) as (url, token):
        TOKENS[url] = token
        yield url


@pytest.fixture(scope="module")
def browser(browser):
    """One browser context per audience for the module, and in it one tab each visit navigates
    (apps.tab), so a visit after the first reads Streamlit's code from the context's cache, as a
    board member's browser does after the first page (a new context per visit parsed it all
    again: 0.8 s of CPU a visit). The External context is never given the token."""
    contexts = {}

    class PerAudience:
        def context(self, staff):
            if staff not in contexts:
                contexts[staff] = browser.new_context()
            return contexts[staff]

        def tab(self, staff):
            return tab(self.context(staff))
    yield PerAudience()
    for c in contexts.values():
        c.close()


def open_page(browser, url, path, size, staff=False, charts=False):
    """The page, settled, in a viewport of `size`; every request it made is kept on page.requests."""
    w, h = size
    page = browser.tab(staff)
    page.set_viewport_size({"width": w, "height": h})
    page.requests.clear()  # this visit's requests only
    if staff:
        path += ("&" if "?" in path else "?") + f"token={TOKENS[url]}"
    page.goto(f"{url}/{path}", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90000)
    settle(page, charts)
    if staff:
        page.get_by_text("Staff (exact, confidential)").click()
        page.get_by_text("Staff view: exact figures").first.wait_for(timeout=90000)
        settle(page, charts)
        assert page.get_by_text("Staff view: exact figures").count() >= 1
    return page


def settle(page, charts=False):
    settled(page)
    if charts:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=90000)
    # plotly draws after the element appears: wait until every chart has its axes
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))",
                           timeout=90000)
    page.evaluate(DRAWN)


GEOMETRY = """() => [...document.querySelectorAll('.js-plotly-plot')].map(p => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return (r.width && r.height) ? [r.left, r.top, r.right, r.bottom] : null; };
  const svg = p.querySelector('.main-svg');
  return {
    title: (p.querySelector('.gtitle') || {}).textContent || '',
    titleBox: box(p.querySelector('.gtitle')),
    subtitleBox: box(p.querySelector('.gtitle-subtitle')),
    legendBox: box(p.querySelector('.legend')),
    plotBox: box(p.querySelector('.nsewdrag')),
    svgBox: box(svg),
    xticks: [...p.querySelectorAll('.xtick text')].map(t => t.textContent),
    tickFonts: [...p.querySelectorAll('.xtick text, .ytick text')].map(t => [parseFloat(t.style.fontSize), t.style.fill]),
    lines: (p.data || []).filter(d => d.type === 'scatter' && (d.mode || '').includes('lines')).map(d => (d.x || []).length),
  };
})"""


def overlap(a, b, slack=1):
    return a and b and a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack


def check_charts_fit(page, path, size):
    """Chart titles clear of their legends and inside the chart, axis text large and dark, and no
    tile label cut, at the page's present viewport."""
    charts = page.evaluate(GEOMETRY)
    if path in CHART_PAGES:
        assert charts, path
    for c in charts:
        assert c["titleBox"], (path, size, "a chart without a title")
        for head in (c["titleBox"], c["subtitleBox"]):
            if not head:
                continue
            assert not overlap(head, c["legendBox"]), (path, size, c["title"], head, c["legendBox"])
            assert not overlap(head, c["plotBox"]), (path, size, c["title"], "title over the plot")
            # inside the chart: not cut at the right or at the top
            assert head[0] >= c["svgBox"][0] - 1 and head[2] <= c["svgBox"][2] + 1, (path, size, c["title"], head,
                                                                                       c["svgBox"])
            assert head[1] >= c["svgBox"][1] - 1, (path, size, c["title"])
        for fs, fill in c["tickFonts"]:
            assert fs >= 14, (path, size, c["title"], fs)
            assert fill.replace(" ", "") in ("rgb(26,26,26)", "#1a1a1a"), (path, size, c["title"], fill)
    cut = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid=stMetricLabel] *, [data-testid=stMetricLabel], [data-testid=stMetricDeltaDescription] *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0).map(e => e.textContent)""")
    assert not cut, (path, size, cut)


# Every chart redrawn at the viewport's width: the positive sign that a resize has been laid out.
REDRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].every(p => {
  const svg = p.querySelector('.main-svg');
  return svg && Math.abs(svg.getBoundingClientRect().width - p.getBoundingClientRect().width) <= 2;
}) && document.documentElement.clientWidth === window.innerWidth"""


def resize(page, size):
    """The open page at another viewport, once its layout and every chart have followed."""
    before = page.evaluate("() => document.querySelector('.js-plotly-plot .main-svg')?.getBoundingClientRect().width")
    w, h = size
    page.set_viewport_size({"width": w, "height": h})
    if before is not None:  # the first chart has taken a new width: plotly has answered the resize
        page.wait_for_function(f"() => document.querySelector('.js-plotly-plot .main-svg')"
                               f".getBoundingClientRect().width !== {before}", timeout=90000)
    page.wait_for_function(REDRAWN, timeout=90000)
    settle(page)


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.parametrize("path", ["outreach", "safe_suite", "friday_network", ""])
def test_a_one_month_period_has_no_time_of_day_and_no_one_point_line(app, browser, demo_db, path, staff):
    m = periods_month_with_data()
    page = open_page(browser, app, f"{path}?from={m.start}&to={m.end}", SIZES["projector"], staff=staff, charts=True)
    charts = page.evaluate(GEOMETRY)
    assert charts
    for c in charts:
        for t in c["xticks"]:
            assert ":" not in t, (path, c["title"], t)  # 23:59:59.999, 12:00
        assert all(n > 1 for n in c["lines"]), (path, c["title"], "a single bucket drawn as a line")


def periods_month_with_data():
    from shop import periods
    today = settings.today()  # the test's clock (conftest's `clock`), as the dashboard's
    return periods.month(periods.fiscal_year(periods.fy_start_year(today) - 1).start + dt.timedelta(days=200))


CONTRAST = """() => {
  const lum = c => { const m = c.match(/[0-9.]+/g).map(Number).slice(0, 3).map(v => v / 255)
                       .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
                     return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const out = [];
  for (const t of document.querySelectorAll('.js-plotly-plot text')) {
    if (!t.textContent.trim()) continue;
    const fill = getComputedStyle(t).fill;
    let bg = 'rgb(255, 255, 255)';
    const point = t.closest('.point');
    if (point && t.classList.contains('bartext-inside')) {
      const path = point.querySelector('path'); bg = getComputedStyle(path).fill;
    }
    const r = ratio(fill, bg);
    if (r < 4.5) out.push([t.textContent, fill, bg, r.toFixed(2)]);
  }
  return out;
}"""


def run_axe(page) -> list:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                 .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')
                             + ' ' + (n.failureSummary || '').slice(0, 200))}));
    }""")


@pytest.mark.parametrize("staff", [False, True], ids=["external", "staff"])
@pytest.mark.parametrize("path", PAGES)
def test_each_page_fits_the_room_passes_axe_and_fetches_nothing_from_outside(app, browser, path, staff):
    """One visit per page and audience at the projector's size: the charts fit (titles, legends,
    axis text, tile labels), axe-core finds no serious violation, chart text has 4.5:1 contrast
    and no request leaves the machine; the External page is then widened to 1600x1000 and its
    charts must fit there too."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run .ci/setup (make test does)")
    page = open_page(browser, app, path, SIZES["projector"], staff=staff, charts=path in CHART_PAGES)
    check_charts_fit(page, path, "projector")
    if path in CHART_PAGES:
        page.screenshot(path=str(SHOTS / f"room_{path or 'overview'}_projector{'_staff' if staff else ''}.png"),
                        full_page=True)
    violations = run_axe(page)
    assert not violations, json.dumps(violations, indent=1)
    low = page.evaluate(CONTRAST)
    assert not low, (path, low[:5])
    if path in CHART_PAGES and not staff:
        resize(page, SIZES["wide"])
        check_charts_fit(page, path, "wide")
        page.screenshot(path=str(SHOTS / f"room_{path or 'overview'}_wide.png"), full_page=True)
    outside = [u for u in page.requests if not u.startswith(app) and not u.startswith(("data:", "blob:"))]
    assert not outside, outside[:5]
