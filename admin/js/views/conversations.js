// Conversations with reporters: the panel in a report's view (the thread and a reply
// box) and the inbox of reports awaiting an answer. The reporter sees the unit's name,
// never the officer's; officers send text only (chalicelib/conversations).

import { api } from "../api.js";
import { badge, busy, counter, empty, field, h, notice, pagedList, when } from "../dom.js";
import { MediaStatus, MessageAuthor, TEXT_LIMITS } from "../enums.js";
import { label, t } from "../i18n.js";
import { templatePicker } from "./replies.js";

const PAGE_SIZE = 100;
const POLL_MS = 5000;
const POLL_FOR_MS = 10 * 60_000;
const INBOX_PAGE_SIZE = 20;

/** The thread of one report. `evidenceItem(item)` draws an attachment the way the
 * report's gallery draws evidence. */
export class ConversationPanel {
  constructor(page, reportId, evidenceItem) {
    this.page = page;
    this.reportId = reportId;
    this.evidenceItem = evidenceItem;
    this.messages = [];
    this.list = h("ol", { class: "thread" });
    this.status = h("div", {});
    this.message = notice();
    this.element = h("section", { class: "conversation" },
      h("h2", {}, t("conversation.title")), this.status, this.list, this.message,
      this.replyForm());
    this.load().then(() => this.poll(Date.now() + POLL_FOR_MS));
  }

  path(query) {
    return api("GET", `/admin/reports/${this.reportId}/messages`, { query });
  }

  /** The whole thread, page after page (reading it marks it read). */
  async load() {
    try {
      const messages = [];
      let cursor = null;
      let answer;
      do {
        answer = await this.path({ limit: PAGE_SIZE, cursor });
        messages.push(...answer.items);
        cursor = answer.next_cursor;
      } while (cursor);
      this.messages = messages;
      this.drawStatus(answer);
      this.draw();
    } catch (error) {
      this.message.error(error);
    }
  }

  /** New messages arrive by `after`; a pending attachment is redrawn once processed. */
  async poll(until) {
    while (this.page.isCurrent() && Date.now() < until) {
      await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
      if (!this.page.isCurrent()) return;
      try {
        const pending = this.messages.some((item) => item.attachments.some(
          (attachment) => attachment.status === MediaStatus.PENDING));
        if (pending) {
          await this.load();
          continue;
        }
        const last = this.messages.at(-1)?.message_id;
        const answer = await this.path({ limit: PAGE_SIZE, after: last });
        if (answer.items.length) {
          this.messages.push(...answer.items);
          this.draw();
        }
        this.drawStatus(answer);
      } catch {
        return;  // the officer can reload; a failed poll is not worth an alarm
      }
    }
  }

  drawStatus(answer) {
    this.status.replaceChildren(answer.account_deleted
      ? h("p", { class: "notice notice-error" }, t("conversation.account_deleted")) : "");
  }

  draw() {
    this.list.replaceChildren(...(this.messages.length
      ? this.messages.map((item) => this.messageItem(item))
      : [h("li", {}, empty(t("conversation.empty"), t("conversation.empty_hint")))]));
  }

  messageItem(item) {
    const from = item.author === MessageAuthor.POLICE ? item.unit : item.alias;
    return h("li", { class: `message message-${item.author}`,
      dataset: { messageId: item.message_id, author: item.author } },
    h("div", { class: "message-head" }, h("strong", {}, from),
      h("span", { class: "muted" }, t(`conversation.author.${item.author}`)),
      when(item.created_at)),
    h("p", { class: "message-body" }, item.body),
    item.attachments.length
      ? h("div", { class: "gallery" }, item.attachments.map(this.evidenceItem)) : null);
  }

  replyForm() {
    const text = h("textarea", { name: "reply", rows: 3, required: true });
    const count = counter(text, TEXT_LIMITS.message, t("conversation.reply"));
    const submit = h("button", { type: "submit", class: "primary" }, t("conversation.send"));
    return h("form", { class: "reply-form", onsubmit: async (event) => {
      event.preventDefault();
      const problem = text.value.trim() ? count.problem() : t("conversation.empty_reply");
      if (problem) {
        this.message.announce(problem, "error");
        return;
      }
      await busy(submit, async () => {
        try {
          const sent = await api("POST", `/admin/reports/${this.reportId}/messages`,
            { body: { body: text.value } });
          this.messages.push(sent);
          this.draw();
          text.value = "";
          count.update();
          this.message.announce(t("conversation.sent"));
        } catch (error) {
          this.message.error(error);
        }
      });
    } },
    templatePicker(text),
    field(t("conversation.reply"), text, [t("conversation.reply_hint"), " ", count]),
    h("div", { class: "actions" }, submit));
  }
}

/** Reports whose reporter waits for an answer, the longest wait first. */
export function inbox() {
  const list = pagedList(h("ol", { class: "cards" }),
    (cursor) => api("GET", "/admin/inbox", { query: { limit: INBOX_PAGE_SIZE, cursor } }),
    inboxCard, () => empty(t("inbox.empty"), t("inbox.empty_hint")));
  return h("section", { class: "inbox" },
    h("div", { class: "page-head" }, h("h1", {}, t("inbox.title"))),
    h("p", { class: "lead" }, t("inbox.lead")), h("div", { class: "report-list" }, list));
}

function inboxCard(row) {
  return h("li", { class: "card report-card" },
    h("a", { href: `#/reports/${row.report_id}`, dataset: { reportId: row.report_id } },
      h("div", { class: "card-top" }, badge("report_status", row.status),
        h("strong", { class: "alias" }, row.alias),
        h("span", { class: "muted" }, label("report_category", row.category)),
        unreadBadge(row.unread_messages)),
      h("p", { class: "waiting" }, t("inbox.waiting", { time: waited(row.waiting_seconds) }),
        " · ", t("inbox.last_message"), " ", when(row.last_message_at))));
}

/** "3 条未读" beside a report, or nothing. */
export function unreadBadge(count) {
  return count ? h("span", { class: "badge badge-unread", dataset: { unread: count } },
    t("conversation.unread", { count })) : null;
}

function waited(seconds) {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours >= 24) return t("inbox.days", { days: Math.floor(hours / 24), hours: hours % 24 });
  if (hours) return t("inbox.hours", { hours, minutes: minutes % 60 });
  return t("inbox.minutes", { minutes });
}
