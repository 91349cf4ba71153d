// Line icons (paths after Feather, MIT), drawn as SVG elements: decorative, hidden from assistive
// technology — every button that shows one carries its name in aria-label.

const SVG = "http://www.w3.org/2000/svg";

const ICONS = {
  heart: [["path", { d: "M20.84 4.61a5.5 5.5 0 0 0-7.78 0L12 5.67l-1.06-1.06a5.5 5.5 0 0 0-7.78 7.78l1.06 1.06L12 21.23l7.78-7.78 1.06-1.06a5.5 5.5 0 0 0 0-7.78z" }]],
  prompt: [
    ["path", { d: "M16 4h2a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h2" }],
    ["rect", { x: 8, y: 2, width: 8, height: 4, rx: 1 }],
    ["line", { x1: 8, y1: 11, x2: 16, y2: 11 }],
    ["line", { x1: 8, y1: 15, x2: 13, y2: 15 }],
  ],
  wand: [
    ["path", { d: "M15 4V2M15 16v-2M8 9h2M20 9h2M17.8 11.8 19 13M17.8 6.2 19 5M12.2 6.2 11 5" }],
    ["path", { d: "m3 21 9-9" }],
  ],
  download: [
    ["path", { d: "M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4" }],
    ["polyline", { points: "7 10 12 15 17 10" }],
    ["line", { x1: 12, y1: 15, x2: 12, y2: 3 }],
  ],
  info: [
    ["circle", { cx: 12, cy: 12, r: 10 }],
    ["line", { x1: 12, y1: 16, x2: 12, y2: 12 }],
    ["line", { x1: 12, y1: 8, x2: 12.01, y2: 8 }],
  ],
  grid: [
    ["rect", { x: 3, y: 3, width: 7, height: 7, rx: 1 }],
    ["rect", { x: 14, y: 3, width: 7, height: 7, rx: 1 }],
    ["rect", { x: 14, y: 14, width: 7, height: 7, rx: 1 }],
    ["rect", { x: 3, y: 14, width: 7, height: 7, rx: 1 }],
  ],
  trash: [
    ["polyline", { points: "3 6 5 6 21 6" }],
    ["path", { d: "M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6m3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2" }],
  ],
  folder: [
    ["path", { d: "M22 19a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h5l2 3h9a2 2 0 0 1 2 2z" }],
    ["line", { x1: 12, y1: 11, x2: 12, y2: 17 }],
    ["line", { x1: 9, y1: 14, x2: 15, y2: 14 }],
  ],
  share: [
    ["circle", { cx: 18, cy: 5, r: 3 }],
    ["circle", { cx: 6, cy: 12, r: 3 }],
    ["circle", { cx: 18, cy: 19, r: 3 }],
    ["line", { x1: 8.59, y1: 13.51, x2: 15.42, y2: 17.49 }],
    ["line", { x1: 15.41, y1: 6.51, x2: 8.59, y2: 10.49 }],
  ],
  open: [
    ["polyline", { points: "15 3 21 3 21 9" }],
    ["polyline", { points: "9 21 3 21 3 15" }],
    ["line", { x1: 21, y1: 3, x2: 14, y2: 10 }],
    ["line", { x1: 3, y1: 21, x2: 10, y2: 14 }],
  ],
  restore: [
    ["polyline", { points: "1 4 1 10 7 10" }],
    ["path", { d: "M3.51 15a9 9 0 1 0 2.13-9.36L1 10" }],
  ],
  close: [
    ["line", { x1: 18, y1: 6, x2: 6, y2: 18 }],
    ["line", { x1: 6, y1: 6, x2: 18, y2: 18 }],
  ],
  plus: [
    ["line", { x1: 12, y1: 5, x2: 12, y2: 19 }],
    ["line", { x1: 5, y1: 12, x2: 19, y2: 12 }],
  ],
};

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: 18,
    height: 18,
    fill: "none",
    stroke: "currentColor",
    "stroke-width": 2,
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
    class: `icon icon-${name}`,
  })) {
    svg.setAttribute(key, String(value));
  }
  for (const [tag, attributes] of ICONS[name] || []) {
    const shape = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) shape.setAttribute(key, String(value));
    svg.append(shape);
  }
  return svg;
}
