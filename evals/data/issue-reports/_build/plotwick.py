# Project 1: "plotwick" - fictional JavaScript charting library (canvas/SVG, React/Vue wrappers)
from common import write

ISSUES = [
("bug", "Tooltip is offset when chart container has transform: scale()", r"""
**Describe the bug**
When the chart is rendered inside a parent that has `transform: scale(0.8)` the tooltip shows up far away from the hovered point. The further right you hover the bigger the offset.

**To Reproduce**
1. Wrap the chart div in `<div style="transform: scale(0.8); transform-origin: top left">`
2. Hover over points on a line series
3. Tooltip is ~20% off to the bottom right

Codepen: https://codepen.io/mkowal/pen/ZEqgrWd

**Expected behavior**
Tooltip should be next to the hovered point.

**Environment**
- plotwick 4.3.2
- Chrome 124 / Windows 11
- renderer: canvas

We use this inside a dashboard "zoom out" feature so we can't remove the transform. I think the tooltip uses getBoundingClientRect() for the container but offsetX for the mouse, which don't agree once you scale.
"""),
("bug", "TypeError: Cannot read properties of undefined (reading 'length') when series data is []", r"""
```
Uncaught TypeError: Cannot read properties of undefined (reading 'length')
    at computeExtent (plotwick.esm.js:4121:31)
    at LinearScale.fit (plotwick.esm.js:4388:22)
    at Chart._layout (plotwick.esm.js:7012:17)
    at Chart.update (plotwick.esm.js:6890:10)
```
happens when I start with `series: [{ name: 'cpu', data: [] }]` and the data comes later from a websocket. It worked in 4.1.x. Passing `data: [[Date.now(), null]]` as a workaround makes the error go away but draws a weird dot at 0.
"""),
("bug", "4.2.0 breaks SSR in Next.js: ReferenceError: window is not defined", r"""
After upgrading from 4.1.3 to 4.2.0, `next build` fails:

```
> Build error occurred
ReferenceError: window is not defined
    at Object.<anonymous> (/app/node_modules/plotwick/dist/plotwick.cjs.js:88:19)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)
    ...
  type: 'ReferenceError'
}
```

Line 88 is `const dpr = window.devicePixelRatio || 1` at module top level. Previously this was read inside the constructor. We only import plotwick in a client component (`'use client'`) but Next still evaluates the module at build time for the page. Pinning to 4.1.3 for now.

Next 14.2.3, Node 20.11
"""),
("feature", "Symmetric log scale (symlog) for data with negative values", r"""
`yAxis.type: 'log'` works great, but our data crosses zero (profit/loss over several orders of magnitude) and log just drops the negative points. d3 has `scaleSymlog` for this. Would be nice to have `type: 'symlog'` with a `constant` option.

Currently we transform the data ourselves and fake the tick labels with a formatter, which breaks tooltips.
"""),
("question", "How to format axis ticks as currency?", r"""
I want the y axis to show "$1.2k", "$2.4k" etc. I tried

```js
yAxis: { format: '$0.0a' }
```
(numeral.js habits lol) but it just shows the raw string. What's the right way to do it? Is there a built-in formatter or do I need a callback?
"""),
("bug", "Memory leak when calling chart.update() every second", r"""
We have a realtime dashboard that calls `chart.update({ series })` every 1s with ~300 points. After an hour the tab is at 1.8GB.

Heap snapshot shows thousands of detached `HTMLCanvasElement` retained by `TextMeasureCache._ctx`. Looks like a new offscreen canvas is created for text measuring on every update and the cache keeps all of them.

Minimal repro:
```js
const chart = Plotwick.chart(el, cfg);
setInterval(() => {
  chart.update({ series: [{ data: genData(300) }] });
}, 1000);
```
plotwick 4.3.0, Chrome 123, macOS 14.4. Also reproducible in Firefox but slower growth.
"""),
("feature", "Export PNG with transparent background", r"""
`chart.toDataURL()` always fills the background white. It would be nice if there was an option like `chart.toDataURL({ background: 'transparent' })`, or if it just respected `backgroundColor: 'transparent'` from the config. We put the exported images on colored slides.
"""),
("question", "Clicking legend items doesn't hide series in React", r"""
Using @plotwick/react. Clicking a legend item hides the series for a split second, then it comes back.

```jsx
function Dashboard({ rows }) {
  const options = {
    series: [
      { name: 'Sales', data: rows.map(r => r.sales) },
      { name: 'Returns', data: rows.map(r => r.returns) },
    ],
  };
  return <PlotwickChart options={options} />;
}
```
Am I doing something wrong? In plain JS it works.
"""),
("bug", "stacked bars overlap with negative values", r"""
if one series is negative and the other positive in the same category they draw on top of each other instead of going down from 0. `stacked: true`, v4.3.1. screenshot attached
"""),
("feature", "Built-in dark theme", r"""
+1 for a dark theme. We're overriding about 30 config values (axis colors, grid, tooltip bg, legend text...) to get something decent and we keep missing some (e.g. the zoom reset button is still white).

Even a `theme: 'dark'` preset that can be extended would help a lot.
"""),
("question", "Time axis shows 1970 dates", r"""
My x values are unix timestamps from our API, e.g. `1714567200`. The time axis shows "Jan 20 1970" for all of them. Dates in the tooltip are also 1970. Is the time axis broken for timestamps?

plotwick 4.3.1
"""),
("bug", "SVG renderer: axis labels clipped in Safari 17", r"""
Only happens in Safari (17.4, macOS Sonoma and iOS 17). Y axis labels lose the first character, e.g. "1,000" becomes ",000". Chrome and Firefox are fine. Canvas renderer is fine.

It looks like the `<text>` gets `text-anchor="end"` and then the clipPath for the axis area is computed from `getBBox()`, which returns 0 width in Safari before fonts are loaded. If I call `chart.resize()` after `document.fonts.ready` it fixes itself.
"""),
("feature", "Proposal: plugin hook for custom hit-testing", r"""
We build custom series types via plugins (e.g. a "range band" series). Hover/tooltip works only for built-in series because hit-testing is hardcoded in `InteractionManager`.

Proposal: let plugins register a hit tester

```ts
interface HitTester {
  seriesType: string;
  hitTest(series: SeriesModel, px: number, py: number, tol: number): HitResult | null;
}

Plotwick.registerHitTester({
  seriesType: 'rangeBand',
  hitTest(series, px, py) { /* ... */ }
});
```

`InteractionManager` would look up the tester by `series.type` and fall back to the current logic. Happy to open a PR if the API shape looks ok. Open question: should testers get access to the quadtree index?
"""),
("bug", "TS: series.data doesn't accept Float32Array", r"""
Runtime supports typed arrays (the docs even recommend them for big datasets in "Performance tips"), but the type is

```ts
data: Array<number | [number, number] | DataPoint | null>
```

so this fails:

```ts
const ys = new Float32Array(100000);
chart.update({ series: [{ data: ys }] });
// TS2322: Type 'Float32Array' is not assignable to type '(number | [number, number] | DataPoint | null)[]'.
```

Have to `as any` it. plotwick 4.3.2, typescript 5.4.
"""),
("question", "Is there a way to synchronize the crosshair across multiple charts?", r"""
I have 4 stacked charts sharing the same x axis (CPU, memory, disk, network). When hovering one I'd like the crosshair and tooltip to appear at the same x in all the others, like Grafana does. Is that possible with the current API or do I need to hack something together with onHover?
"""),
("bug", "Heatmap colorScale min/max ignored if data contains NaN", r"""
```js
colorScale: { min: 0, max: 100, scheme: 'viridis' }
```
As soon as one cell is `NaN`, the whole heatmap turns the same color (the lowest one). Replacing NaN with null works properly and the null cell is gray as expected. I think the extent calc returns NaN and then overrides the user min/max? Either way, explicitly given min/max should win.

v4.2.4
"""),
("bug", "Zoom plugin completely broken on touch devices", r"""
Pinch zoom has been broken since 4.0 and we're at 4.3 now. On iPad it just scrolls the page, on Android Chrome it zooms the whole page instead of the chart. We set `zoom: { pinch: true }` exactly like in the docs.

This was reported in #1412 and closed as stale. Our users are mostly on tablets, so this is a real problem. Please don't let the bot close this one.

Setting `touch-action: none` on the canvas makes pinch work, but then you can't scroll the page past the chart at all. That's not a fix.
"""),
("feature", "Allow animation.duration per series", r"""
We have a chart with one 'live' series that updates every second and some static reference series. I want the live one to animate short (150ms) and the others not at all when updated. Right now animation is only global. Something like `series: [{ animation: { duration: 150 } }]`.
"""),
("question", "License for commercial SaaS use", r"""
Hi, our legal team asks whether we can use plotwick in a closed-source commercial SaaS product. The repo says MIT, but the docs site footer says "© Plotwick Labs, all rights reserved" and the annotations plugin has a different LICENSE file. Could you clarify which license applies to the plugins?
"""),
("bug", "chart.destroy() doesn't disconnect ResizeObserver", r"""
In our SPA we create/destroy charts on route change. After destroy the ResizeObserver callback still runs and logs

```
Uncaught TypeError: Cannot read properties of null (reading 'getContext')
    at Chart._resize (plotwick.esm.js:6702)
    at ResizeObserver.<anonymous> (plotwick.esm.js:6655)
```

whenever the window is resized. Looking at the source, `destroy()` calls `this._ro.unobserve(this.el)` but since 4.2 the observer observes `this.el.parentNode` (container: 'parent' mode). Should probably just be `disconnect()`.
"""),
("feature", "Pie labels overlap for small slices", r"""
When there are many small slices (< 3%) the outside labels stack on top of each other and become unreadable. Is there an option to avoid that? I looked through the docs and only found `labels.minAngle`, which hides them completely.

If not, some kind of collision avoidance (moving labels vertically and drawing leader lines, like Highcharts does) would be great.
"""),
("bug", "Candlestick wicks are off by 1px at devicePixelRatio 1.5", r"""
At 150% Windows scaling the wick is not centered in the body, it's consistently 1px to the left. 100% and 200% look fine. Looks like a rounding issue: body x is `Math.round(x - w/2)` but the wick is `Math.floor(x) + 0.5`.

Screenshot (zoomed): https://i.imgur.com/4kq9Xbd.png

plotwick 4.3.2, Chrome/Edge 124, Windows 11 @150%
"""),
("question", "What's the difference between update() and setData()?", r"""
Docs list both but don't explain when to use which. From testing:
- `update({ series })` seems to re-run the full layout
- `setData(seriesIndex, data)` is faster but the y axis doesn't rescale??

Which one is intended for streaming data? And is the axis not rescaling with setData expected?
"""),
("feature", "Keyboard navigation between data points", r"""
For WCAG compliance we need charts to be usable without a mouse. There is `aria-label` support on the container, which is good, but there's no way to move focus through points and have the tooltip follow.

Ideas: arrow keys to move between points in a series, up/down to switch series, Enter to trigger the click handler. Focus outline drawn by the renderer.

Our accessibility audit flagged this as the main blocker for using plotwick in a government project.
"""),
("bug", "@plotwick/vue: chart does not update when options prop changes", r"""
```vue
<PlotwickChart :options="opts" />
...
const opts = reactive({ series: [{ data: [1, 2, 3] }] })
setTimeout(() => opts.series[0].data.push(4), 1000)
```
nothing happens. if I replace the whole opts object it updates. For the React wrapper I wouldn't expect deep changes to be picked up, but the @plotwick/vue README says "options are watched deeply".

Vue 3.4.21, @plotwick/vue 2.0.1
"""),
("bug", "RangeError: Maximum call stack size exceeded with large scatter dataset", r"""
```
RangeError: Maximum call stack size exceeded
    at Math.max (<anonymous>)
    at extent (plotwick.esm.js:4102:18)
    at ScatterSeries.getBounds (plotwick.esm.js:9311:12)
```
Happens with ~500k points, 200k is fine. `Math.max(...values)` spreads the whole array onto the stack. A simple loop would fix it. I can send a PR if you want.
"""),
("feature", "Make the package tree-shakeable", r"""
Importing `{ chart }` from 'plotwick' pulls in everything (heatmap, candlestick, all locales): ~380kb minified, 110kb gzipped. We only use line and bar.

The ESM build is a single file with side effects at the top level (the registerSeries calls), so bundlers can't drop anything. Something like `plotwick/core` + `plotwick/series/line` with explicit registration would be amazing. echarts does this with `echarts/core`.

Also `"sideEffects": false` is missing in package.json.
"""),
("bug", "Legend: last item is cut off when labels wrap to a second row", r"""
Legend at `position: 'bottom'` with 9 series that have longish names. When they wrap onto a second row, the chart height doesn't account for it, so the last row is half hidden under the container edge. Resizing the window once fixes it (so the initial layout is wrong, not the resize path).

Tried `legend.maxRows: 2` - no difference.

4.3.2 / Firefox 125
"""),
("question", "Is the WebGL renderer still planned for v5?", r"""
The 2023 roadmap mentioned a WebGL renderer for v5. Is that still happening? We need to decide between plotwick and something else for ~2M point scatter plots and would rather stay with you. Any rough timeline?
"""),
("bug", "Regression in 4.3.1: gridlines drawn on top of area fill", r"""
Up to 4.3.0 the grid was behind the series. Since 4.3.1 horizontal gridlines are painted over the area fill (visible as light lines crossing the filled area). Nothing changed in our config. `grid.z: -1` doesn't help either.

Probably from the layer refactor in #1530?
"""),
("feature", "There is no way to set a different color for individual bars in one series", r"""
I want to highlight the current month in a bar series with a different color. `color` on the series applies to all bars. Tried passing `{ y: 5, color: 'red' }` as a data point but it's ignored for bars (works for scatter?).

A `color: (point, index) => string` callback on the series would solve this and many similar cases.
"""),
("bug", "annotations: vertical line lands between categories on a category x axis", r"""
```js
annotations: [{ type: 'line', x: 'Mar', label: 'launch' }]
```
With a category axis (Jan..Dec) the line is drawn at the left edge of the "Mar" band instead of in the middle of the bar. For bar charts this looks wrong. Maybe there should be an `align: 'center'` option, but at least the default should be center, like the ticks are.

@plotwick/annotations 1.4.0
"""),
("bug", "tooltip flickers", r"""
when moving mouse slowly over the line chart the tooltip disappears and shows again every few px. happens only when crosshair is enabled. chrome on linux 4.3.2
"""),
("question", "Can plotwick run in a web worker with OffscreenCanvas?", r"""
Main thread is busy in our app. Is it possible to transfer a canvas to a worker and render there? I tried importing plotwick in a worker and got `document is not defined`.
"""),
("bug", "Duplicate tick label around DST change on time axis", r"""
Time axis with daily ticks over March 2024 (Europe/Berlin). I get two ticks labelled "Mar 31" and none for "Apr 1" - all ticks after the DST switch are shifted one day back visually.

```js
xAxis: { type: 'time', tickInterval: 'day', timeZone: 'Europe/Berlin' }
```
Looks like ticks are generated by adding 86400000 ms instead of calendar days. Expected: one tick per local midnight.
"""),
("feature", "onHover: option to report nearest point even when pointer is outside the plot area", r"""
We show a details panel next to the chart that follows hover. When the mouse is over the axis labels or padding, onHover stops firing and the panel jumps back. Would like `interaction.outside: true` or similar to keep snapping to the nearest x.
"""),
("feature", "@plotwick/react: support React 19", r"""
```
npm ERR! code ERESOLVE
npm ERR! ERESOLVE unable to resolve dependency tree
npm ERR! Found: react@19.0.0
npm ERR! Could not resolve dependency:
npm ERR! peer react@"^17.0.0 || ^18.0.0" from @plotwick/react@3.1.0
```
Works fine with `--legacy-peer-deps` as far as I can tell, so it's probably only the peer range. Any plans to officially support 19?
"""),
("question", "tooltip shows 'undefined:' before the value", r"""
```js
Plotwick.chart(el, {
  series: [{ data: [3, 5, 2, 8] }]
});
```
tooltip says `undefined: 5`. Bug?
"""),
("bug", "window.print() renders empty chart in Firefox", r"""
Print preview in Firefox shows the plot area white, nothing drawn. Chrome prints fine. We use the canvas renderer; with svg it prints. I guess the canvas gets resized by the `beforeprint` media change and cleared, but not redrawn before the print snapshot is taken.

Firefox 125, Ubuntu 22.04, plotwick 4.3.2
"""),
("feature", "Expose scales to convert pixel <-> data values", r"""
I'm drawing a custom overlay (a draggable threshold handle) in a separate absolutely-positioned div. To position it I need to convert data value -> pixel and back on drag. Currently I'm reading `chart._scales.y`, which is private and changed between 4.2 and 4.3.

Proposal: `chart.getScale('y').toPixel(value)` / `.fromPixel(px)`, public and documented.
"""),
("bug", "Stacked area tooltip shows wrong values when series have different x values", r"""
Two series: A has points at x=1,2,3,4 and B only at x=1,3. In stacked mode the tooltip at x=2 shows B = the value of A (the stacked top) instead of "-" or an interpolated value. The drawn area looks right, only the tooltip is wrong.

Repro: https://jsfiddle.net/4n7vgk2p/
"""),
("bug", "IndexSizeError when chart is created inside a hidden tab", r"""
```
Uncaught DOMException: Failed to execute 'getImageData' on 'CanvasRenderingContext2D': The source width is 0.
    at HitCanvas.refresh (plotwick.esm.js:8123:27)
    at Chart._render (plotwick.esm.js:7099:19)
```
We initialize charts in bootstrap tabs; the inactive ones have display:none so the container is 0x0. I would expect it to just render nothing and draw when it becomes visible (there is a ResizeObserver after all). Instead it throws, and the chart never renders even after the tab is shown.
"""),
("question", "Horizontal threshold line without the annotations plugin?", r"""
I just need one dashed red line at y=80 (SLA threshold). Pulling in @plotwick/annotations for that feels heavy. Is there a simpler way — maybe a plotLines option on the axis, or a second series with constant values?
"""),
("feature", "Radar / spider chart", r"""
any plans for a radar chart type? it's the only thing we still use chart.js for.
"""),
("bug", "Violates CSP style-src: plotwick injects inline <style>", r"""
Our app has `Content-Security-Policy: style-src 'self'` and we get

```
Refused to apply inline style because it violates the following Content Security Policy directive: "style-src 'self'".
```

from the tooltip. It injects a `<style id="pw-tooltip-styles">` on first hover. It would be good to either ship a css file we can include, or accept a nonce option. Currently tooltips are unstyled and positioned at the top-left corner.
"""),
("bug", "Rotated y-axis title looks blurry on canvas", r"""
The y axis title (rotated -90°) is noticeably blurrier than the other text on non-retina screens. Probably drawn at a half-pixel offset after rotation. Screenshot compares it with the x-axis title. 4.3.2, Chrome, 1080p monitor dpr=1.
"""),
("question", "Chart not rendering, no errors in console", r"""
I followed the getting started guide, but nothing shows up. No errors. Elements tab shows the canvas with height 0.

```html
<div id="chart"></div>
<script>
  Plotwick.chart(document.getElementById('chart'), {
    series: [{ type: 'line', data: [1, 3, 2, 5] }]
  });
</script>
```
Using the CDN build 4.3.2.
"""),
("feature", "Use Intl.NumberFormat with the configured locale by default", r"""
We set `locale: 'de-DE'`. Dates are localized fine but numbers on the axis still show `1,234.5` instead of `1.234,5`. We can fix it with a formatter everywhere, but it'd be nicer if `locale` also applied to number formatting by default (tooltips, axis, data labels).
"""),
]

if __name__ == "__main__":
    write("plotwick", ISSUES, first=1187, seed=101, max_gap=14)
