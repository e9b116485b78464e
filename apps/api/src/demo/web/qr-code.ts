/** The authenticator app's setup link as a QR code, drawn in the page itself. */
import qrcode from 'qrcode-generator';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Blank modules around the code, as the QR specification asks, so that a scanner finds its edges. */
const QR_QUIET_ZONE = 4;

/**
 * `text` as a QR code: an inline <svg> built with DOM calls (no markup string, no `data:` image for the CSP to
 * weigh), one square path per dark module, dark on white whatever the page's colour scheme.
 */
export function qrCodeSvg(text: string, label: string): SVGSVGElement {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const size = count + 2 * QR_QUIET_ZONE;
  const squares: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) squares.push(`M${col + QR_QUIET_ZONE} ${row + QR_QUIET_ZONE}h1v1h-1z`);
    }
  }
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('width', String(size * 5));
  svg.setAttribute('height', String(size * 5));
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  const modules = document.createElementNS(SVG_NS, 'path');
  modules.setAttribute('d', squares.join(''));
  modules.setAttribute('fill', '#000000');
  svg.append(background, modules);
  return svg;
}
