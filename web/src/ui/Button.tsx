import type { ButtonHTMLAttributes } from 'react';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: 'default' | 'primary' | 'danger';
  small?: boolean;
  busy?: boolean;
}

/** A native button (keyboard and screen readers for free); `busy` disables it and says so. */
export function Button({ variant = 'default', small, busy, className, disabled, children, type = 'button', ...rest }: ButtonProps) {
  const classes = ['btn', variant !== 'default' ? `btn-${variant}` : '', small ? 'btn-small' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <button type={type} className={classes} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {busy ? <span className="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}
