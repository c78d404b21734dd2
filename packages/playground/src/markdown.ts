// Answers as markdown: marked parses, highlight.js colours code blocks (a few common languages, to
// keep the bundle small), DOMPurify removes anything a model could write to run script in the page.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import { Marked, type Tokens } from "marked";
import { looksLikeBareCode } from "./bare-code";

const languages = { bash, c, cpp, css, go, java, javascript, json, python, rust, sql, typescript, xml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

/** Highlighted HTML for a piece of code; the fence's language when known, else a guess among ours. */
export function highlightCode(code: string, language?: string): string {
  if (language && hljs.getLanguage(language)) return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  return hljs.highlightAuto(code).value;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = lang?.trim().split(/\s+/)[0];
      return `<pre><code class="hljs">${highlightCode(text, language)}</code></pre>\n`;
    },
  },
});

/** Safe HTML for an answer: markdown, or highlighted code when it is bare code. */
export function renderAnswer(text: string): string {
  const html = looksLikeBareCode(text)
    ? `<pre><code class="hljs">${highlightCode(text)}</code></pre>`
    : marked.parse(text, { async: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}
