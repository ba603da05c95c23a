import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { adminLogin, ApiError } from '../../api';
import { Alert } from '../../components/Alert';
import { Field, fieldMessage, focusFirstInvalid } from '../../components/Field';
import { describeError, formatWait } from '../../errors';
import { useTitle } from '../../hooks';
import { useSession } from './session';

type Errors = Partial<Record<'email' | 'password', string>>;

/** Only same-site admin paths are followed after login, never another origin. */
function safeNext(next: string | null): string {
  if (next && next.startsWith('/admin') && !next.startsWith('/admin/login')) return next;
  return '/admin';
}

export default function Login() {
  useTitle('Admin log in');
  const { session, setSession } = useSession();
  const [search] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focusTick > 0) focusFirstInvalid(formRef.current, alertRef.current);
  }, [focusTick]);

  if (session) return <Navigate to={safeNext(search.get('next'))} replace />;

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    const found: Errors = {};
    if (!email.trim()) found.email = 'Enter your email address.';
    if (!password) found.password = 'Enter your password.';
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) {
      setFocusTick((t) => t + 1);
      return;
    }
    setPending(true);
    try {
      const s = await adminLogin(email.trim(), password);
      setSession(s);
    } catch (err) {
      setPending(false);
      setPassword('');
      if (err instanceof ApiError && err.code === 'unauthorized') {
        setFormError('Wrong email or password.');
      } else if (err instanceof ApiError && err.code === 'rate_limited') {
        setFormError(
          err.retryAfter != null
            ? `Too many login attempts. Try again in ${formatWait(err.retryAfter)}.`
            : 'Too many login attempts. Please wait a few minutes and try again.',
        );
      } else if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        setErrors({
          email: err.fields.email && fieldMessage('Email', err.fields.email),
          password: err.fields.password && fieldMessage('Password', err.fields.password),
        });
        setFormError(err.message || 'Please check the form.');
      } else {
        setFormError(describeError(err));
      }
      setFocusTick((t) => t + 1);
    }
  }

  return (
    <main id="main" className="container login-page">
      <form ref={formRef} className="card login-form" onSubmit={onSubmit} noValidate aria-labelledby="login-heading">
        <h1 id="login-heading">Admin log in</h1>
        {search.get('next') && !formError && (
          <p className="muted">Please log in to continue.</p>
        )}
        {formError && (
          <Alert kind="error" ref={alertRef}>
            <p>{formError}</p>
          </Alert>
        )}
        <Field id="email" label="Email" error={errors.email}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
            />
          )}
        </Field>
        <Field id="password" label="Password" error={errors.password}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        <button type="submit" className="button button--primary" disabled={pending}>
          {pending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
