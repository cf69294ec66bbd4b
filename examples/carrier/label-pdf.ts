// A one-page 4×6 in shipping label as a minimal hand-built PDF, so the `label_url` a label
// carries points at something real. Only ASCII reaches here (validate.ts restricts postal codes
// and countries), which keeps byte offsets equal to string lengths for the xref table.
import type { Label } from './shipments.ts';
import type { LabelRequest } from './validate.ts';

/** PDF string literals need `\`, `(` and `)` escaped. */
function pdfText(text: string): string {
  return text.replace(/[\\()]/g, (ch) => '\\' + ch);
}

export function renderLabelPdf(label: Label, request: LabelRequest): Buffer {
  const lines = [
    `PORTCULLIS CARRIER - ${label.service.toUpperCase()}`,
    `Tracking: ${label.tracking_number}`,
    `From: ${request.from.postal_code}, ${request.from.country}`,
    `To: ${request.to.postal_code}, ${request.to.country}`,
    `Parcels: ${request.parcels.length}`,
    `Label: ${label.label_id}`,
    `Created: ${label.created_at}`,
  ];
  const text = lines.map((line, i) => `${i === 0 ? '24 400 Td' : '0 -24 Td'} (${pdfText(line)}) Tj`).join('\n');
  const content = `BT /F1 12 Tf\n${text}\nET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefAt = pdf.length;
  // Each xref entry is exactly 20 bytes, its line ending included.
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
