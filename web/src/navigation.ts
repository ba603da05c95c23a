// Leaving the app for another origin (the Stripe-hosted checkout page) goes
// through here so component tests can observe it instead of navigating jsdom.
export function redirectTo(url: string): void {
  window.location.assign(url);
}
