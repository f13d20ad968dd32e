import { describe, expect, it } from "vitest";
import { type StoredMessage, startAtUserMessage } from "../../../agent-runtime/memory/session-store.ts";

const user = (content: string): StoredMessage => ({ role: "user", content });
const assistant = (content: string): StoredMessage => ({ role: "assistant", content });

describe("startAtUserMessage", () => {
  it("drops an answer whose question was trimmed away", () => {
    expect(startAtUserMessage([assistant("a1"), user("q2"), assistant("a2")])).toEqual([
      user("q2"),
      assistant("a2"),
    ]);
  });
  it("keeps a history that already starts with a question", () => {
    const history = [user("q1"), assistant("a1")];
    expect(startAtUserMessage(history)).toBe(history);
  });
  it("returns nothing when no question is left", () => {
    expect(startAtUserMessage([assistant("a")])).toEqual([]);
  });
});
