// Word equations (OMML, `m:oMath`) as linear text in the form Word itself types them (UnicodeMath): a
// superscript after ^, a subscript after _, a fraction as num/den, each part in parentheses when it is more
// than one character. Read run by run, "a^2+b^2=c^2" became "a2+b2=c2", which says something else.
import { attr, elements, firstElement, textContent, type XmlElement } from './xml.ts';

// An argument of more than one character is grouped, so "x^(n+1)" does not read as "x^n+1".
const group = (text: string) => ([...text].length > 1 ? `(${text})` : text);

const part = (e: XmlElement, name: string) => {
  const child = firstElement(e, name);
  return child ? ommlText(child) : '';
};

// A property's character (m:chr, m:begChr, …) from the element's m:*Pr child.
function prop(e: XmlElement, pr: string, name: string, fallback: string): string {
  const props = firstElement(e, pr);
  const value = props && firstElement(props, name);
  return value ? (attr(value, 'val') ?? '') : fallback;
}

export function ommlText(e: XmlElement): string {
  switch (e.name) {
    case 't':
      return textContent(e);
    case 'sSup':
      return `${part(e, 'e')}^${group(part(e, 'sup'))}`;
    case 'sSub':
      return `${part(e, 'e')}_${group(part(e, 'sub'))}`;
    case 'sSubSup':
      return `${part(e, 'e')}_${group(part(e, 'sub'))}^${group(part(e, 'sup'))}`;
    case 'sPre':
      return `_${group(part(e, 'sub'))}^${group(part(e, 'sup'))}${part(e, 'e')}`;
    case 'f':
      return `${group(part(e, 'num'))}/${group(part(e, 'den'))}`;
    case 'rad': {
      // UnicodeMath writes other roots as √(n&x).
      const degree = part(e, 'deg');
      const radicand = part(e, 'e');
      if (degree === '') return `√${group(radicand)}`;
      if (degree === '3' || degree === '4') return `${degree === '3' ? '∛' : '∜'}${group(radicand)}`;
      return `√(${degree}&${radicand})`;
    }
    case 'nary': {
      const sub = part(e, 'sub');
      const sup = part(e, 'sup');
      return `${prop(e, 'naryPr', 'chr', '∫')}${sub ? `_${group(sub)}` : ''}${sup ? `^${group(sup)}` : ''} ${part(e, 'e')}`;
    }
    case 'd': {
      const separator = prop(e, 'dPr', 'sepChr', '|');
      return `${prop(e, 'dPr', 'begChr', '(')}${elements(e, 'e').map(ommlText).join(separator)}${prop(e, 'dPr', 'endChr', ')')}`;
    }
    case 'func':
      return `${part(e, 'fName')} ${part(e, 'e')}`;
    case 'limLow':
      return `${part(e, 'e')}_${group(part(e, 'lim'))}`;
    case 'limUpp':
      return `${part(e, 'e')}^${group(part(e, 'lim'))}`;
    case 'rPr':
    case 'ctrlPr':
    case 'oMathParaPr':
      return '';
  }
  // Runs, arguments, boxes, accents, bars, arrays: their parts in order (a property element gives nothing).
  return elements(e)
    .filter((c) => !c.name.endsWith('Pr'))
    .map(ommlText)
    .join(e.name === 'oMathPara' ? '\n' : '');
}
