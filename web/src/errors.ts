import { ApiError } from './api';

/** Words for a person, for an error from the API client (or anything thrown). */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'network':
      return err.message;
    case 'unauthorized':
      return 'Your session has ended. Please log in again.';
    case 'forbidden':
      return 'That request was refused. Reload the page and try again.';
    case 'not_found':
      return 'We could not find that. It may have been removed.';
    case 'conflict':
      return err.message ? `That could not be done: ${err.message}.` : 'That could not be done right now.';
    case 'too_large':
      return 'That is too much data to send at once.';
    case 'rate_limited':
      return err.retryAfter != null
        ? `Too many attempts. Try again in ${formatWait(err.retryAfter)}.`
        : 'Too many attempts. Please wait a moment and try again.';
    case 'payment_provider':
      return 'The payment provider did not answer. Nothing was charged; please try again.';
    case 'unavailable':
      return 'The shop is temporarily unavailable. Please try again in a moment.';
    case 'invalid':
      return err.message ? `Please check the form: ${err.message}.` : 'Please check the form.';
    default:
      return 'Something went wrong on our side. Please try again.';
  }
}

/** "45 seconds", "1 minute", "3 minutes". */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
