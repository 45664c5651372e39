/** The region-switch hand-over confirmation: a token from the URL fragment signs no one in without consent. */
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { type Handover, handoverQuestion } from '../session.ts';
import { html } from '../ui.ts';

/** Asks "Continue as … ?"; `onContinue` adopts the session, `onDecline` discards it (back to the login form). */
export function HandoverPage({
  handover,
  onContinue,
  onDecline,
}: {
  handover: Handover | null;
  onContinue: () => void;
  onDecline: () => void;
}): VNode {
  const continueButton = useRef<HTMLButtonElement>(null);
  useEffect(() => continueButton.current?.focus(), [handover]);
  if (!handover) {
    return html`<main class="login" id="main">
      <p role="status">Checking the hand-over from the other region…</p>
    </main>` as VNode;
  }
  return html`<main class="login" id="main">
    <form class="handover" aria-labelledby="handover-title" onSubmit=${(e: Event) => {
      e.preventDefault();
      onContinue();
    }}>
      <h1 id="handover-title">Continue signing in?</h1>
      <p>${handoverQuestion(handover, location.origin)}</p>
      <p>You followed a link that carries a sign-in. Continue only if you just switched region yourself.</p>
      <div>
        <button type="submit" class="primary" ref=${continueButton}>Continue</button>
        <button type="button" onClick=${onDecline}>Sign in as someone else</button>
      </div>
    </form>
  </main>` as VNode;
}
