// Slack's text (mrkdwn, and the standard Markdown the bot streams) and Block Kit as DOM nodes.
// Text only ever reaches the page through text nodes: nothing here parses HTML.
"use strict";

const Markup = (() => {
  const INLINE = new RegExp(
    [
      "(`[^`\\n]+`)", // code
      "(\\*\\*[^*\\n]+\\*\\*|__[^_\\n]+__)", // strong (Markdown)
      "(\\*[^*\\n]+\\*)", // bold in mrkdwn, emphasis in Markdown
      "(\\b_[^_\\n]+_\\b)", // emphasis
      "(~~[^~\\n]+~~|~[^~\\n]+~)", // strike
      "(\\[[^\\]\\n]+\\]\\([^)\\s]+\\))", // [label](url)
      // Slack's <url|label>, <@U…>, <#C…|name>, <!here>, <!date^…^{date} {time}|fallback>
      "(<(?:[@#]|https?:|mailto:)[^>\\s|]*(?:\\|[^>]*)?>|<![^>|]*(?:\\|[^>]*)?>)",
      "(https?://[^\\s<>]+)", // a bare link
    ].join("|"),
    "g",
  );

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function unescapeSlack(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function link(url, label) {
    if (!/^(https?:|mailto:)/i.test(url)) return document.createTextNode(label || url);
    const a = el("a", "", label || url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  // `names` has everyone's and every channel's display name by id: Slack shows a channel's
  // current name for <#C…>, whatever label came with it.
  function slackToken(token, names) {
    const [target, label] = token.slice(1, -1).split("|", 2);
    if (target.startsWith("@")) return el("span", "mention", "@" + (names[target.slice(1)] || label || target.slice(1)));
    if (target.startsWith("#")) return el("span", "mention", "#" + (names[target.slice(1)] || label || target.slice(1)));
    if (target.startsWith("!date^")) return document.createTextNode(slackDate(target, label));
    if (target.startsWith("!")) return el("span", "mention", "@" + (label || target.slice(1).split("^")[0]));
    return link(unescapeSlack(target), label && unescapeSlack(label));
  }

  // <!date^1700000000^{date_short} at {time}|fallback>, in the viewer's own time zone as Slack
  // shows it; the fallback when the timestamp or a token can't be read.
  function slackDate(target, fallback) {
    const [, stamp, format] = target.split("^");
    const when = new Date(Number(stamp) * 1000);
    if (!stamp || Number.isNaN(when.getTime()) || !format) return unescapeSlack(fallback || target);
    let unknown = false;
    const text = format.replace(/\{(\w+)\}/g, (_, token) => {
      const value = dateToken(when, token);
      if (value === null) unknown = true;
      return value;
    });
    return unknown ? unescapeSlack(fallback || text) : unescapeSlack(text);
  }

  function dateToken(when, token) {
    const day = (options) => when.toLocaleDateString("en-US", options);
    const ordinal = (n) => n + (n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th");
    const date = `${day({ month: "long" })} ${ordinal(when.getDate())}, ${when.getFullYear()}`;
    const relative = () => {
      const days = Math.round((startOfDay(when) - startOfDay(new Date())) / 86400000);
      return { 0: "Today", [-1]: "Yesterday", 1: "Tomorrow" }[days] || null;
    };
    switch (token) {
      case "date_num":
        return `${when.getFullYear()}-${String(when.getMonth() + 1).padStart(2, "0")}-${String(when.getDate()).padStart(2, "0")}`;
      case "date":
        return date;
      case "date_short":
        return day({ month: "short", day: "numeric", year: "numeric" });
      case "date_long":
        return `${day({ weekday: "long" })}, ${date}`;
      case "date_pretty":
        return relative() || date;
      case "date_short_pretty":
        return relative() || day({ month: "short", day: "numeric", year: "numeric" });
      case "date_long_pretty":
        return relative() || `${day({ weekday: "long" })}, ${date}`;
      case "time":
        return when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
      case "time_secs":
        return when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit" });
      case "ago":
        return ago(when);
      default:
        return null;
    }
  }

  function startOfDay(date) {
    return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  }

  function ago(when) {
    const seconds = Math.round((Date.now() - when.getTime()) / 1000);
    const steps = [[60, "second"], [60, "minute"], [24, "hour"], [30, "day"], [12, "month"], [Infinity, "year"]];
    let n = Math.abs(seconds);
    for (const [size, unit] of steps) {
      if (n < size) {
        const amount = `${n} ${unit}${n === 1 ? "" : "s"}`;
        return seconds >= 0 ? `${amount} ago` : `in ${amount}`;
      }
      n = Math.floor(n / size);
    }
    return "";
  }

  // Inline markup of one line into `parent`.
  function inline(parent, text, ctx) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) parent.append(unescapeSlack(text.slice(last, m.index)));
      const [token, code, strong, star, em, strike, mdLink, slack] = m;
      if (code) parent.append(el("code", "", unescapeSlack(code.slice(1, -1))));
      else if (strong) inline(parent.appendChild(el("strong")), strong.slice(2, -2), ctx);
      else if (star) inline(parent.appendChild(el(ctx.dialect === "mrkdwn" ? "strong" : "em")), star.slice(1, -1), ctx);
      else if (em) inline(parent.appendChild(el("em")), em.slice(1, -1), ctx);
      else if (strike) inline(parent.appendChild(el("s")), strike.replace(/^~~?|~~?$/g, ""), ctx);
      else if (mdLink) {
        const split = mdLink.indexOf("](");
        parent.append(link(mdLink.slice(split + 2, -1), unescapeSlack(mdLink.slice(1, split))));
      } else if (slack) parent.append(slackToken(slack, ctx.names));
      else parent.append(link(unescapeSlack(token)));
      last = m.index + token.length;
    }
    if (last < text.length) parent.append(unescapeSlack(text.slice(last)));
  }

  // A whole text: code fences, quotes, lists, headings, tables, rules and paragraphs.
  function text(source, names, dialect) {
    const ctx = { names: names || {}, dialect: dialect || "markdown" };
    const root = el("div", "rich");
    const lines = String(source || "").split("\n");
    let i = 0;
    let quoteRest = false;
    const container = () => (quoteRest ? root.lastChild : root);
    while (i < lines.length) {
      const line = lines[i];
      if (line.startsWith("&gt;&gt;&gt;") || line.startsWith(">>>")) {
        root.append(el("blockquote"));
        quoteRest = true;
        lines[i] = line.replace(/^(&gt;){3}|^>>>/, "").replace(/^ /, "");
        continue;
      }
      if (/^\s*```/.test(line)) {
        const body = [];
        const rest = line.replace(/^\s*```/, "");
        if (rest.length > 3 && rest.endsWith("```")) {
          body.push(rest.slice(0, -3)); // ```code``` on one line
        } else {
          // After the opening fence: a language name (Markdown) or already code (mrkdwn).
          if (rest.trim() && !/^[\w+-]+$/.test(rest.trim())) body.push(rest);
          while (i + 1 < lines.length) {
            const next = lines[++i];
            if (/^\s*```\s*$/.test(next)) break;
            if (next.endsWith("```")) {
              body.push(next.slice(0, -3));
              break;
            }
            body.push(next);
          }
        }
        i += 1; // past the closing fence, or the end of a text still streaming
        const pre = el("pre");
        pre.append(el("code", "", unescapeSlack(body.join("\n"))));
        container().append(pre);
        continue;
      }
      if (/^(&gt;|>) ?/.test(line)) {
        const quote = el("blockquote");
        while (i < lines.length && /^(&gt;|>) ?/.test(lines[i])) {
          if (quote.childNodes.length) quote.append(el("br"));
          inline(quote, lines[i++].replace(/^(&gt;|>) ?/, ""), ctx);
        }
        container().append(quote);
        continue;
      }
      const bullet = /^(\s*)([-*•]|\d+[.)])\s+/;
      if (bullet.test(line)) {
        const ordered = /^\s*\d/.test(line);
        const list = el(ordered ? "ol" : "ul");
        while (i < lines.length && bullet.test(lines[i]) && /^\s*\d/.test(lines[i]) === ordered) {
          const m = lines[i].match(bullet);
          const item = el("li");
          if (m[1].length >= 2) item.className = "nested";
          inline(item, lines[i++].slice(m[0].length), ctx);
          list.append(item);
        }
        container().append(list);
        continue;
      }
      const heading = line.match(/^#{1,6}\s+(.*)$/);
      if (heading) {
        const h = el("div", "heading");
        inline(h, heading[1], ctx);
        container().append(h);
        i += 1;
        continue;
      }
      if (/^\s*\|.*\|\s*$/.test(line)) {
        const rows = [];
        while (i < lines.length && /^\s*\|.*\|\s*$/.test(lines[i])) rows.push(lines[i++]);
        container().append(el("pre", "table", unescapeSlack(rows.join("\n"))));
        continue;
      }
      if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
        container().append(el("hr"));
        i += 1;
        continue;
      }
      if (!line.trim()) {
        i += 1;
        continue;
      }
      const p = el("p");
      while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) {
        if (p.childNodes.length) p.append(el("br"));
        inline(p, lines[i++], ctx);
      }
      container().append(p);
    }
    return root;
  }

  function startsBlock(line) {
    return /^\s*```|^(&gt;|>)|^(\s*)([-*•]|\d+[.)])\s+|^#{1,6}\s|^\s*\|.*\|\s*$/.test(line);
  }

  function textObject(obj, names) {
    if (!obj) return el("span");
    if (obj.type === "plain_text") return el("span", "plain", obj.text || "");
    return text(obj.text || "", names, "mrkdwn");
  }

  function richText(block) {
    // Flatten rich_text elements to their text: enough to read what was posted.
    const parts = [];
    const walk = (node) => {
      if (!node || typeof node !== "object") return;
      if (typeof node.text === "string") parts.push(node.text);
      if (node.type === "user") parts.push("<@" + node.user_id + ">");
      if (node.type === "link") parts.push(node.url);
      (node.elements || []).forEach(walk);
      if (["rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"].includes(node.type)) {
        parts.push("\n");
      }
    };
    walk(block);
    return parts.join("");
  }

  // Block Kit, generically: what any app posts or publishes, not only this bot's blocks.
  // `onClick(button, block)` makes buttons live; without it they are shown disabled. `pressed`
  // names the feedback button this person pressed last, which Slack shows pressed.
  function blocks(list, names, onClick, pressed) {
    const root = el("div", "blocks");
    for (const block of list || []) {
      const type = block.type;
      if (type === "section") {
        const section = el("div", "block section");
        if (block.text) section.append(textObject(block.text, names));
        if (block.fields) {
          const fields = el("div", "fields");
          block.fields.forEach((f) => fields.append(textObject(f, names)));
          section.append(fields);
        }
        if (block.accessory && block.accessory.type === "button") {
          section.append(button(block.accessory, block, onClick));
        }
        root.append(section);
      } else if (type === "markdown") {
        root.append(text(block.text, names, "markdown"));
      } else if (type === "header") {
        root.append(el("div", "block header", (block.text && block.text.text) || ""));
      } else if (type === "context") {
        const context = el("div", "block context");
        for (const item of block.elements || []) {
          if (item.type === "image") context.append(el("span", "image-alt", item.alt_text || "🖼"));
          else context.append(textObject(item, names));
        }
        root.append(context);
      } else if (type === "divider") {
        root.append(el("hr"));
      } else if (type === "actions") {
        const actions = el("div", "block actions");
        for (const item of block.elements || []) {
          if (item.type === "button") actions.append(button(item, block, onClick));
          else actions.append(el("span", "unsupported", "[" + item.type + "]"));
        }
        root.append(actions);
      } else if (type === "context_actions") {
        const actions = el("div", "block actions feedback");
        for (const item of block.elements || []) {
          if (item.type === "feedback_buttons") {
            for (const key of ["positive_button", "negative_button"]) {
              const choice = item[key] || {};
              const press = { type: item.type, action_id: item.action_id, value: choice.value, text: choice.text };
              const node = button(press, block, onClick);
              node.classList.toggle("pressed", key === pressed);
              node.setAttribute("aria-pressed", String(key === pressed));
              actions.append(node);
            }
          } else actions.append(button(item, block, onClick));
        }
        root.append(actions);
      } else if (type === "input") {
        root.append(input(block));
      } else if (type === "rich_text") {
        root.append(text(richText(block).trim(), names, "mrkdwn"));
      } else if (type === "image") {
        root.append(image(block));
      } else {
        root.append(el("div", "unsupported", "[" + type + " block]"));
      }
    }
    return root;
  }

  // An image block: a file uploaded to the workspace is shown (the sandbox serves its files); an
  // image_url from the internet is named, since the page loads nothing from outside.
  function image(block) {
    const figure = el("figure", "block image");
    if (block.title && block.title.text) figure.append(el("figcaption", "", block.title.text));
    const file = slackFileId(block.slack_file);
    if (!file) {
      figure.append(el("span", "image-alt", "🖼 " + (block.alt_text || "image")));
      return figure;
    }
    const img = el("img");
    img.src = `/files/${encodeURIComponent(file)}/image`;
    img.alt = block.alt_text || "";
    figure.append(img);
    return figure;
  }

  function slackFileId(slackFile) {
    if (!slackFile) return null;
    if (slackFile.id) return slackFile.id;
    // url_private (…/files-pri/T…-F…/name) or the permalink (…/files/F…/name).
    const found = /[/-](F[A-Z0-9]{8,})\//.exec(slackFile.url || "");
    return found ? found[1] : null;
  }

  // A modal's text field; other input elements are named, not simulated.
  function input(block) {
    const field = el("label", "block input");
    field.append(el("span", "label", (block.label && block.label.text) || ""));
    const element = block.element || {};
    if (element.type !== "plain_text_input") {
      field.append(el("span", "unsupported", "[" + element.type + "]"));
      return field;
    }
    const control = el(element.multiline ? "textarea" : "input");
    control.value = element.initial_value || "";
    control.dataset.blockId = block.block_id || "";
    control.dataset.actionId = element.action_id || "";
    if (element.max_length) control.maxLength = element.max_length;
    if (element.placeholder) control.placeholder = element.placeholder.text || "";
    field.append(control);
    if (block.hint) field.append(el("span", "hint", block.hint.text || ""));
    return field;
  }

  function button(item, block, onClick) {
    const b = el("button", "button" + (item.style ? " " + item.style : ""), (item.text && item.text.text) || "Button");
    b.type = "button";
    b.dataset.actionId = item.action_id || "";
    if (onClick) b.addEventListener("click", () => onClick(item, block));
    else {
      b.disabled = true;
      b.title = "Buttons here are shown, not simulated";
    }
    return b;
  }

  return { el, text, blocks };
})();
