/**
 * SANDBOX TOOL — never part of src/. Markdown as GitHub renders it in issues and comments:
 * GitHub-flavoured markdown through `marked` (tables, task lists, strikethrough, autolinks,
 * line breaks kept), `#123` and `@login` linked like GitHub links them, and the result
 * sanitised with `sanitize-html` to what GitHub lets through: no scripts, no styles, no event
 * handlers, hidden `<!-- comments -->` dropped, `<details>` kept, checkboxes read-only.
 */
import { Marked, type TokenizerAndRendererExtension } from "marked";
import sanitizeHtml from "sanitize-html";
import { escapeHtml, raw, type Html } from "./html.js";

export interface MarkdownContext {
  /** Where `#123` points: the page of that issue or pull request, or undefined when there is none. */
  refLink(number: number): string | undefined;
}

const NOT_WORD = "(?:^|[^\\w/&#@.-])";

function issueRefs(context: MarkdownContext): TokenizerAndRendererExtension {
  return {
    name: "issueRef",
    level: "inline",
    start: (src) => startAfterBoundary(src, /#\d/),
    tokenizer(src) {
      const match = /^#(\d+)(?![\w-])/.exec(src);
      if (!match) return undefined;
      return { type: "issueRef", raw: match[0], number: Number(match[1]) };
    },
    renderer(token) {
      const href = context.refLink(token.number as number);
      const text = escapeHtml(token.raw);
      return href ? `<a class="issue-link" href="${escapeHtml(href)}">${text}</a>` : text;
    },
  };
}

const mentions: TokenizerAndRendererExtension = {
  name: "mention",
  level: "inline",
  start: (src) => startAfterBoundary(src, /@[A-Za-z0-9]/),
  tokenizer(src) {
    // GitHub logins: letters, digits and single hyphens, at most 39 characters.
    const match = /^@([A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})(?![\w-]|\[bot\])/.exec(src);
    if (!match) return undefined;
    return { type: "mention", raw: match[0], login: match[1] };
  },
  renderer(token) {
    return `<span class="user-mention" title="GitHub would notify ${escapeHtml(String(token.login))}">${escapeHtml(token.raw)}</span>`;
  },
};

/** The index of the first match of `pattern` that is not glued to a word before it. */
function startAfterBoundary(src: string, pattern: RegExp): number | undefined {
  const found = new RegExp(`${NOT_WORD}(${pattern.source})`).exec(src);
  if (!found) return undefined;
  return found.index + found[0].length - found[1]!.length;
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, "details", "summary", "input", "del", "ins"],
  allowedAttributes: {
    a: ["href", "title", "class"],
    span: ["class", "title"],
    input: ["type", "checked", "disabled"],
    th: ["align"],
    td: ["align"],
    ol: ["start"],
    details: ["open"],
    code: ["class"],
  },
  allowedClasses: { a: ["issue-link"], span: ["user-mention"], code: ["language-*"] },
  allowedSchemes: ["http", "https", "mailto"],
  exclusiveFilter: (frame) => frame.tag === "input" && frame.attribs.type !== "checkbox",
  transformTags: { input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: "" } }) },
};

/** GitHub-flavoured markdown to sanitised HTML. */
export function renderMarkdown(text: string, context: MarkdownContext): Html {
  const marked = new Marked({ gfm: true, breaks: true, async: false }, { extensions: [issueRefs(context), mentions] });
  const unsafe = marked.parse(text, { async: false });
  return raw(sanitizeHtml(unsafe, SANITIZE));
}
