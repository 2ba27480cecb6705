/**
 * The look shared by the self-contained HTML pages (the daily report, the explore report): inline
 * CSS, no fonts or files fetched, so a page opens anywhere, offline, attached to an email.
 */
export const PAGE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; background: #f6f7f9; }
header { background: #1f3a5f; color: #fff; padding: 18px 24px 12px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .9; }
nav { background: #fff; border-bottom: 1px solid #ddd; padding: 8px 24px; position: sticky; top: 0; }
nav a { margin-right: 16px; color: #1f3a5f; text-decoration: none; font-weight: 600; }
main { max-width: 1200px; margin: 0 auto; padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 12px 20px 16px; margin: 16px 0; }
h2 { font-size: 18px; margin: 4px 0 10px; color: #1f3a5f; }
h3 { font-size: 15px; margin: 14px 0 6px; }
p.note { color: #555; font-size: 13px; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 4px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); gap: 12px; }
svg { max-width: 100%; height: auto; display: block; }
.ok { color: #2e7d32; font-weight: 600; }
code { font-size: 12px; background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
`;
