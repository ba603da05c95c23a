import { startTransition, useEffect, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { adminChangePassword, adminLogoutEverywhere, ApiError } from '../../api';
import { Alert } from '../../components/Alert';
import { Field, fieldMessage, focusFirstInvalid } from '../../components/Field';
import { describeError } from '../../errors';
import { useTitle } from '../../hooks';
import { useSession } from './session';

type FieldName = 'current_password' | 'new_password' | 'repeat_password';
type Errors = Partial<Record<FieldName, string>>;

const labels: Record<FieldName, string> = {
  current_password: 'Current password',
  new_password: 'New password',
  repeat_password: 'Repeat the new password',
};

/** The signed-in admin's own account: change the password, sign out everywhere. */
export default function Account() {
  useTitle('Account');
  const { session } = useSession();
  return (
    <section aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      <p className="muted">Signed in as {session?.email}.</p>
      <ChangePassword />
      <SignOutEverywhere />
    </section>
  );
}

function ChangePassword() {
  const [values, setValues] = useState<Record<FieldName, string>>({
    current_password: '',
    new_password: '',
    repeat_password: '',
  });
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [pending, setPending] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (focusTick > 0) focusFirstInvalid(formRef.current, alertRef.current);
  }, [focusTick]);

  function set(name: FieldName, value: string) {
    setValues((v) => ({ ...v, [name]: value }));
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending) return;
    setDone(false);
    setFormError(null);
    const found: Errors = {};
    if (!values.current_password) found.current_password = 'Enter your current password.';
    if (!values.new_password) found.new_password = 'Enter a new password.';
    else if (values.repeat_password !== values.new_password)
      found.repeat_password = 'The two new passwords differ.';
    setErrors(found);
    if (Object.keys(found).length > 0) {
      setFocusTick((t) => t + 1);
      return;
    }
    setPending(true);
    try {
      await adminChangePassword(values.current_password, values.new_password);
      setValues({ current_password: '', new_password: '', repeat_password: '' });
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) {
        const fromServer: Errors = {};
        for (const name of ['current_password', 'new_password'] as const) {
          const message = err.fields[name];
          if (message) fromServer[name] = fieldMessage(labels[name], message);
        }
        setErrors(fromServer);
        if (Object.keys(fromServer).length === 0) setFormError(describeError(err));
      } else {
        setFormError(describeError(err));
      }
      setFocusTick((t) => t + 1);
    } finally {
      setPending(false);
    }
  }

  return (
    <form
      ref={formRef}
      className="card account-form"
      onSubmit={onSubmit}
      noValidate
      aria-labelledby="password-heading"
    >
      <h2 id="password-heading">Change password</h2>
      <p className="muted">Your other sessions are signed out when the password changes; this one stays.</p>
      {formError && (
        <Alert kind="error" ref={alertRef}>
          <p>{formError}</p>
        </Alert>
      )}
      {done && (
        <Alert kind="success">
          <p>Your password has been changed. Your other sessions have been signed out.</p>
        </Alert>
      )}
      <Field id="current_password" label={labels.current_password} error={errors.current_password}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="current-password"
            value={values.current_password}
            onChange={(e) => set('current_password', e.target.value)}
            required
          />
        )}
      </Field>
      <Field
        id="new_password"
        label={labels.new_password}
        error={errors.new_password}
        hint="At least 12 characters."
      >
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="new-password"
            value={values.new_password}
            onChange={(e) => set('new_password', e.target.value)}
            required
          />
        )}
      </Field>
      <Field id="repeat_password" label={labels.repeat_password} error={errors.repeat_password}>
        {(control) => (
          <input
            {...control}
            type="password"
            autoComplete="new-password"
            value={values.repeat_password}
            onChange={(e) => set('repeat_password', e.target.value)}
            required
          />
        )}
      </Field>
      <button type="submit" className="button button--primary" disabled={pending}>
        {pending ? 'Changing password…' : 'Change password'}
      </button>
    </form>
  );
}

function SignOutEverywhere() {
  const { setSession } = useSession();
  const navigate = useNavigate();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut() {
    setPending(true);
    setError(null);
    try {
      await adminLogoutEverywhere();
    } catch (err) {
      setPending(false);
      setError(describeError(err));
      return;
    }
    // One transition, as the router's own: dropping the session first would
    // have the route guard send the login page back here after a new login.
    startTransition(() => {
      navigate('/admin/login', { replace: true });
      setSession(null);
    });
  }

  return (
    <section className="card" aria-labelledby="everywhere-heading">
      <h2 id="everywhere-heading">Sign out everywhere</h2>
      <p className="muted">
        Ends every session of your account, on every browser and device, this one included.
      </p>
      {error && (
        <Alert kind="error">
          <p>{error}</p>
        </Alert>
      )}
      <button type="button" className="button" onClick={signOut} disabled={pending}>
        {pending ? 'Signing out…' : 'Sign out everywhere'}
      </button>
    </section>
  );
}
