import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import { askedWithLine, citationLine, settingsLines, type ExportModel } from './export-model.ts';

const SETTINGS_HEADING = 'Instructions and sampling';

export function toMarkdown(model: ExportModel): string {
  const lines = [`# ${model.title}`, '', `Exported from Quire on ${model.exportedAt.slice(0, 10)}${model.model ? ` · model ${model.model}` : ''}`, '', '## Documents', ''];
  for (const d of model.documents) lines.push(`- **${d.title}** (${d.format.toUpperCase()}, ${d.pages ? `${d.pages} pages, ` : ''}${d.chars.toLocaleString('en')} characters${d.tokens ? `, ${d.tokens.toLocaleString('en')} tokens` : ''})`);
  lines.push('', `## ${SETTINGS_HEADING}`, '', ...settingsLines(model).map((l) => `- ${l}`));
  model.exchanges.forEach((x, i) => {
    lines.push('', `## Question ${i + 1}`, '', x.question.split('\n').map((l) => `> ${l}`).join('\n'), '', '### Answer', '', x.answer || '_(no answer)_');
    if (x.stopped) lines.push('', '_Stopped before the answer was complete._');
    const asked = askedWithLine(model, x);
    if (asked) lines.push('', `_${asked}_`);
    if (x.citations.length > 0) {
      lines.push('', '### Citations', '');
      for (const c of x.citations) lines.push(`- ${citationLine(c)}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
const paragraphs = (text: string) => text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('\n');

// A self-contained page (inline style, no script) that prints well; the PDF export prints this same page.
export function toHtml(model: ExportModel): string {
  const docs = model.documents
    .map((d) => `<li><strong>${escapeHtml(d.title)}</strong> <span class="meta">${d.format.toUpperCase()}${d.pages ? ` · ${d.pages} pages` : ''} · ${d.chars.toLocaleString('en')} characters${d.tokens ? ` · ${d.tokens.toLocaleString('en')} tokens` : ''}</span></li>`)
    .join('\n');
  const exchanges = model.exchanges
    .map((x, i) => {
      const asked = askedWithLine(model, x);
      return `<section class="exchange">
<h2>Question ${i + 1}</h2>
<blockquote class="question">${paragraphs(x.question)}</blockquote>
<h3>Answer</h3>
<div class="answer">${x.answer ? paragraphs(x.answer) : '<p><em>(no answer)</em></p>'}</div>
${x.stopped ? '<p class="meta">Stopped before the answer was complete.</p>' : ''}
${asked ? `<p class="meta">${escapeHtml(asked)}</p>` : ''}
${x.citations.length ? `<h3>Citations</h3><ul class="citations">${x.citations.map((c) => `<li class="${c.verified ? 'verified' : 'unverified'}">${escapeHtml(citationLine(c))}</li>`).join('')}</ul>` : ''}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model.title)}</title>
<style>
body{font:11pt/1.55 Georgia,'DejaVu Serif',serif;color:#1d1b18;max-width:46em;margin:2.5em auto;padding:0 1.5em}
h1{font-size:20pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.8em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:11pt;margin:1.2em 0 .3em;text-transform:uppercase;letter-spacing:.05em;color:#57524a}
.meta{color:#8a847a;font-size:9.5pt}blockquote{margin:0;padding:.3em 1em;border-left:3px solid #3b5bdb;background:#f3f5fd}
.citations li.verified{color:#2b5d34}.citations li.unverified{color:#a0342a}.exchange{break-inside:avoid-page}
</style></head><body>
<h1>${escapeHtml(model.title)}</h1>
<p class="meta">Exported from Quire on ${model.exportedAt.slice(0, 10)}${model.model ? ` · model ${escapeHtml(model.model)}` : ''}</p>
<h2>Documents</h2><ul>${docs}</ul>
<h2>${SETTINGS_HEADING}</h2><ul class="settings">${settingsLines(model).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
${exchanges}
</body></html>
`;
}

export function toJson(model: ExportModel): string {
  return `${JSON.stringify({ format: 'quire-export', version: 1, ...model }, null, 2)}\n`;
}

export async function toDocx(model: ExportModel): Promise<Uint8Array<ArrayBuffer>> {
  const children: Paragraph[] = [
    new Paragraph({ text: model.title, heading: HeadingLevel.TITLE }),
    new Paragraph({ children: [new TextRun({ text: `Exported from Quire on ${model.exportedAt.slice(0, 10)}${model.model ? ` · model ${model.model}` : ''}`, italics: true, color: '8A847A' })] }),
    new Paragraph({ text: 'Documents', heading: HeadingLevel.HEADING_1 }),
    ...model.documents.map(
      (d) =>
        new Paragraph({
          bullet: { level: 0 },
          children: [new TextRun({ text: d.title, bold: true }), new TextRun(` — ${d.format.toUpperCase()}${d.pages ? `, ${d.pages} pages` : ''}, ${d.chars.toLocaleString('en')} characters`)],
        }),
    ),
    new Paragraph({ text: SETTINGS_HEADING, heading: HeadingLevel.HEADING_1 }),
    ...settingsLines(model).map((l) => new Paragraph({ text: l, bullet: { level: 0 } })),
  ];
  model.exchanges.forEach((x, i) => {
    children.push(new Paragraph({ text: `Question ${i + 1}`, heading: HeadingLevel.HEADING_1 }));
    for (const line of x.question.split('\n')) children.push(new Paragraph({ children: [new TextRun({ text: line, italics: true })], indent: { left: 400 } }));
    children.push(new Paragraph({ text: 'Answer', heading: HeadingLevel.HEADING_2 }));
    for (const para of (x.answer || '(no answer)').split(/\n{2,}/)) children.push(new Paragraph({ text: para.replace(/\n/g, ' '), alignment: AlignmentType.LEFT }));
    if (x.stopped) children.push(new Paragraph({ children: [new TextRun({ text: 'Stopped before the answer was complete.', italics: true })] }));
    const asked = askedWithLine(model, x);
    if (asked) children.push(new Paragraph({ children: [new TextRun({ text: asked, italics: true })] }));
    if (x.citations.length > 0) {
      children.push(new Paragraph({ text: 'Citations', heading: HeadingLevel.HEADING_2 }));
      for (const c of x.citations) children.push(new Paragraph({ bullet: { level: 0 }, children: [new TextRun({ text: citationLine(c), color: c.verified ? '2B5D34' : 'A0342A' })] }));
    }
  });
  const doc = new Document({ creator: 'Quire', title: model.title, description: 'Answers exported from Quire', sections: [{ children }] });
  return new Uint8Array(await Packer.toBuffer(doc));
}
