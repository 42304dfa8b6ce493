// Small shared pieces of the pages: labelled fields with their error next to
// them, the general error of an operation, and live refetching on events.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { useSubscription, type AnyVariables, type TypedDocumentNode, type CombinedError } from '@urql/preact';
import { generalError } from './client';

/** A labelled field; error (from the API, by field path) is shown under it and announced. */
export function Field(props: {
  label: string;
  error?: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}) {
  const id = useId();
  const errId = id + '-err';
  const hintId = id + '-hint';
  const describedBy = [props.error ? errId : '', props.hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint && <div class="hint" id={hintId}>{props.hint}</div>}
      {props.children(id, describedBy, !!props.error)}
      {props.error && <p class="field-error" id={errId} role="alert">{props.error}</p>}
    </div>
  );
}

/** The error of an operation that names no field. */
export function OperationError({ error }: { error?: CombinedError }) {
  const text = generalError(error);
  return text ? <p class="error" role="alert">{text}</p> : null;
}

/**
 * Calls onEvent for each event of a subscription (e.g. to refetch what is
 * shown), and once more, without data, when the hub ends it (the caller lost
 * access to the object, or the connection gave up): what is shown is then
 * read again.
 */
export function useLive<Data, Vars extends AnyVariables>(
  query: TypedDocumentNode<Data, Vars>, variables: Vars, onEvent: (data?: Data) => void, pause = false,
) {
  const [state] = useSubscription<Data, Data, Vars>({ query, variables, pause }, (_prev, data) => {
    onEvent(data);
    return data;
  });
  const wasLive = useRef(false);
  useEffect(() => {
    if (state.fetching) wasLive.current = true;
    else if (wasLive.current && !pause) {
      wasLive.current = false;
      onEvent();
    }
  }, [state.fetching, pause]);
  return state;
}

/** Marks a page region whose content follows the hub live. */
export function LiveBadge({ connected }: { connected: boolean }) {
  return <span class="live" aria-live="polite">{connected ? '● en direct' : '○ connexion au direct…'}</span>;
}

/** A random client key: a request submitted twice with it is one request. */
export function newClientKey(): string {
  return crypto.randomUUID();
}
