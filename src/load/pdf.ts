import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { LoadError, messageOf } from '../errors.js';

/** One page of a PDF's text layer; `page` is 1-based, as printed in viewers. */
export interface PdfPage {
  page: number;
  text: string;
}

type PdfJs = typeof PdfJsModule;
let pdfjs: Promise<PdfJs> | undefined;

/**
 * Extracts the text of every page with Mozilla's pdf.js (its Node build; no canvas, no fonts
 * loaded, no `eval`). Pages without text are kept out; a PDF with no text at all (a scan) is an
 * error, as is a corrupt or password-protected one, each naming the file.
 */
export async function readPdfPages(bytes: Uint8Array, location: string): Promise<PdfPage[]> {
  const fail = (code: string, message: string, cause?: unknown) =>
    new LoadError(code, `${location} ${message}`, { cause, context: { file: location } });
  // Loaded on first use: pdf.js is large and most corpora have no PDFs.
  let lib: PdfJs;
  try {
    lib = await (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
  } catch (error) {
    pdfjs = undefined;
    // pdf.js 5 needs DOMMatrix at load time, which Node gets from its optional @napi-rs/canvas.
    throw fail(
      'load.pdf-support',
      `cannot be read: pdf.js does not load here (${messageOf(error)}). Install optional dependencies too (no --omit=optional), or: npm i @napi-rs/canvas`,
      error,
    );
  }
  let document: Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given, so it gets a copy.
    document = await lib.getDocument({
      data: new Uint8Array(bytes),
      verbosity: lib.VerbosityLevel.ERRORS,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
    }).promise;
  } catch (error) {
    if (error instanceof Error && error.name === 'PasswordException') {
      throw fail('load.encrypted-pdf', 'is password-protected; milvus-rag cannot read it', error);
    }
    throw fail('load.corrupt-pdf', `is not a readable PDF: ${messageOf(error)}`, error);
  }
  try {
    const pages: PdfPage[] = [];
    for (let number = 1; number <= document.numPages; number += 1) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : '');
      }
      page.cleanup();
      text = text.replace(/[ \t]+\n/g, '\n').trim();
      if (text !== '') pages.push({ page: number, text });
    }
    if (pages.length === 0) {
      throw fail('load.pdf-no-text', `has no text layer (${document.numPages} pages, likely scanned images); OCR is not supported`);
    }
    return pages;
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw fail('load.corrupt-pdf', `is not a readable PDF: ${messageOf(error)}`, error);
  } finally {
    await document.destroy();
  }
}
