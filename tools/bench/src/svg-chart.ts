/** One line of a chart. */
export interface ChartSeries {
  label: string
  color: string
  dashed?: boolean
  points: readonly { x: number; y: number }[]
}

export interface LineChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: readonly ChartSeries[]
  /** A horizontal reference line (e.g. the latency budget). @default none */
  reference?: { y: number; label: string }
  /** @default 720 */
  width?: number
  /** @default 400 */
  height?: number
}

const MARGIN = { left: 70, right: 170, top: 40, bottom: 50 }

/**
 * A small line chart as SVG text: linear x from zero, logarithmic y (latencies span orders of
 * magnitude once a system falls behind). No dependencies; it only has to be readable on GitHub.
 */
export function renderLineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 720
  const height = spec.height ?? 400
  const plotW = width - MARGIN.left - MARGIN.right
  const plotH = height - MARGIN.top - MARGIN.bottom
  const points = spec.series.flatMap((s) => s.points).filter((p) => p.y > 0)
  const ys = [...points.map((p) => p.y), ...(spec.reference ? [spec.reference.y] : [])]
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...ys, 10)))
  // Headroom above the highest point, so a reference line at a round value is not drawn on the frame.
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...ys, yMin * 10) * 1.2))
  const xMax = niceCeiling(Math.max(...points.map((p) => p.x), 1))
  const px = (x: number) => MARGIN.left + (x / xMax) * plotW
  const py = (y: number) => MARGIN.top + plotH - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH
  const f = (n: number) => n.toFixed(1)

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ]
  for (const y of logTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(py(y))}" y2="${f(py(y))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${f(py(y) + 4)}" text-anchor="end">${formatTick(y)}</text>`,
    )
  }
  for (const x of linearTicks(xMax)) {
    parts.push(
      `<line x1="${f(px(x))}" x2="${f(px(x))}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
      `<text x="${f(px(x))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${x}</text>`,
    )
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  )
  if (spec.reference) {
    const y = f(py(spec.reference.y))
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${Number(y) - 5}" text-anchor="end" fill="#c00">${escapeXml(spec.reference.label)}</text>`,
    )
  }
  spec.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p.y > 0).map((p) => `${f(px(p.x))},${f(py(p.y))}`)
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : ''
    if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`)
    for (const p of pts) {
      const [cx, cy] = p.split(',')
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`)
    }
    const ly = MARGIN.top + 10 + i * 20
    const lx = MARGIN.left + plotW + 15
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 30}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** 1, 2, 5 × 10^k between the bounds. */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = []
  for (let decade = min; decade <= max; decade *= 10) {
    for (const m of [1, 2, 5]) if (decade * m <= max * 1.0001) ticks.push(decade * m)
  }
  return ticks
}

/** The smallest 1, 2, 5 × 10^k at or above n. */
export function niceCeiling(n: number): number {
  const decade = 10 ** Math.floor(Math.log10(n))
  return ([1, 2, 5, 10].map((m) => m * decade).find((v) => v >= n) ?? 10 * decade)
}

function linearTicks(max: number): number[] {
  const step = niceCeiling(max / 8)
  const ticks: number[] = []
  for (let x = 0; x <= max + step / 1000; x += step) ticks.push(Math.round(x * 1000) / 1000)
  return ticks
}

function formatTick(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : ms >= 1 ? `${ms} ms` : `${ms * 1000} µs`
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
