import { COMMANDS } from '../../src/domain/catalog';
import { actors, at, event, given } from './support';
import {
  accepted,
  asHandedOff,
  asMql,
  asSal,
  attempted,
  disqualified,
  handedOff,
  HANDOFF_ID,
  LEAD_ID,
  onLead,
  reassigned,
  recycled,
  rejected,
  salesQualified,
} from './lead-fixtures';

/** Deadlines of the built-in handoff at minute 20. */
const ACCEPT_BY = at(80);
const FIRST_CONTACT_BY = at(260);
const ATTEMPTS_BY = at(20 + 7 * 24 * 60);

const deadlineOf = {
  ACCEPTANCE: ACCEPT_BY,
  FIRST_CONTACT: FIRST_CONTACT_BY,
  ATTEMPTS: ATTEMPTS_BY,
};
type Kind = keyof typeof deadlineOf;

const breach = (kind: Kind, detectedAt: string, extra: Record<string, unknown> = {}) =>
  onLead(
    'recordSlaBreach',
    { handoffId: HANDOFF_ID, kind, deadline: deadlineOf[kind], detectedAt, ...extra },
    { at: detectedAt, actor: actors.admin },
  );

const breached = (kind: Kind, detectedAt: string, ownerRepId = 'rex') =>
  event(
    'SlaBreached',
    {
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      kind,
      deadline: deadlineOf[kind],
      detectedAt,
      ownerRepId,
      team: 'EMEA',
    },
    detectedAt,
  );

describe('recordSlaBreach: ACCEPTANCE', () => {
  it('records the breach of a handoff still pending after its deadline', () => {
    given(...asHandedOff)
      .when(breach('ACCEPTANCE', at(81)))
      .then(breached('ACCEPTANCE', at(81)));
  });

  it('counts the deadline itself as passed', () => {
    given(...asHandedOff)
      .when(breach('ACCEPTANCE', ACCEPT_BY))
      .then(breached('ACCEPTANCE', ACCEPT_BY));
  });

  it('refuses before the deadline (SLA_DEADLINE_NOT_PASSED)', () => {
    given(...asHandedOff)
      .when(breach('ACCEPTANCE', at(79)))
      .thenRejects('SLA_DEADLINE_NOT_PASSED');
  });

  it('loses to an acceptance that got in first, even a late one (HANDOFF_NOT_PENDING)', () => {
    given(...asHandedOff, accepted(85))
      .when(breach('ACCEPTANCE', at(86)))
      .thenRejects('HANDOFF_NOT_PENDING');
    given(...asHandedOff, rejected(85))
      .when(breach('ACCEPTANCE', at(86)))
      .thenRejects('HANDOFF_NOT_PENDING');
  });

  it('is recorded once per handoff and kind (SLA_BREACH_ALREADY_RECORDED)', () => {
    given(...asHandedOff, breached('ACCEPTANCE', at(81)))
      .when(breach('ACCEPTANCE', at(90)))
      .thenRejects('SLA_BREACH_ALREADY_RECORDED');
  });

  it("refuses a deadline that is not the handoff's (SLA_DEADLINE_MISMATCH)", () => {
    given(...asHandedOff)
      .when(breach('ACCEPTANCE', at(90), { deadline: at(70) }))
      .thenRejects('SLA_DEADLINE_MISMATCH');
  });

  it('refuses a handoff the lead never had (HANDOFF_UNKNOWN)', () => {
    given(...asHandedOff)
      .when(breach('ACCEPTANCE', at(90), { handoffId: 'H-9' }))
      .thenRejects('HANDOFF_UNKNOWN');
  });

  it('names the rep who held the lead when the deadline passed', () => {
    given(...asHandedOff, reassigned(30))
      .when(breach('ACCEPTANCE', at(90)))
      .then(breached('ACCEPTANCE', at(90), 'ora'));
    given(...asHandedOff, reassigned(85))
      .when(breach('ACCEPTANCE', at(90)))
      .then(breached('ACCEPTANCE', at(90), 'rex'));
  });

  it('refuses a detection time in the future (OCCURRED_IN_FUTURE)', () => {
    const cmd = breach('ACCEPTANCE', at(100));
    given(...asHandedOff)
      .when({ ...cmd, meta: { ...cmd.meta, occurredAt: at(90), now: at(90) } })
      .thenRejects('OCCURRED_IN_FUTURE');
  });

  it('refuses a lead that does not exist (NOT_FOUND)', () => {
    given()
      .when(breach('ACCEPTANCE', at(90)))
      .thenNotFound('Lead', LEAD_ID);
  });
});

describe('recordSlaBreach: FIRST_CONTACT', () => {
  it('records an accepted handoff without a contact attempt by the deadline', () => {
    given(...asSal)
      .when(breach('FIRST_CONTACT', at(261)))
      .then(breached('FIRST_CONTACT', at(261)));
  });

  it('counts an attempt made late as a breach still', () => {
    given(...asSal, attempted(1, 300))
      .when(breach('FIRST_CONTACT', at(301)))
      .then(breached('FIRST_CONTACT', at(301)));
  });

  it('is met by any attempt by the deadline, or by reaching SQL (SLA_MET)', () => {
    given(...asSal, attempted(1, 200))
      .when(breach('FIRST_CONTACT', at(261)))
      .thenRejects('SLA_MET');
    given(...asSal, salesQualified(200))
      .when(breach('FIRST_CONTACT', at(261)))
      .thenRejects('SLA_MET');
  });

  it('applies only to an accepted handoff (HANDOFF_NOT_ACCEPTED)', () => {
    given(...asHandedOff)
      .when(breach('FIRST_CONTACT', at(261)))
      .thenRejects('HANDOFF_NOT_ACCEPTED');
  });

  it('does not apply when the handoff ended before the deadline (HANDOFF_CLOSED)', () => {
    given(...asSal, recycled(100, 'SAL', 'rex'))
      .when(breach('FIRST_CONTACT', at(261)))
      .thenRejects('HANDOFF_CLOSED');
  });

  it('still applies when the lead was dropped after the deadline passed', () => {
    given(...asSal, disqualified(300, 'SAL', 'rex'))
      .when(breach('FIRST_CONTACT', at(301)))
      .then(breached('FIRST_CONTACT', at(301)));
  });
});

describe('recordSlaBreach: ATTEMPTS', () => {
  const later = at(20 + 7 * 24 * 60 + 1);

  it('records fewer attempts than agreed within the window', () => {
    given(...asSal, attempted(1, 40), attempted(2, 1000))
      .when(breach('ATTEMPTS', later))
      .then(breached('ATTEMPTS', later));
  });

  it('is met by enough attempts, by connecting, or by reaching SQL (SLA_MET)', () => {
    given(...asSal, attempted(1, 40), attempted(2, 100), attempted(3, 2000))
      .when(breach('ATTEMPTS', later))
      .thenRejects('SLA_MET');
    given(...asSal, attempted(1, 40, 'CONNECTED'))
      .when(breach('ATTEMPTS', later))
      .thenRejects('SLA_MET');
    given(...asSal, attempted(1, 40), salesQualified(60))
      .when(breach('ATTEMPTS', later))
      .thenRejects('SLA_MET');
  });

  it('applies only to an accepted handoff (HANDOFF_NOT_ACCEPTED)', () => {
    given(...asMql, handedOff(20), rejected(30))
      .when(breach('ATTEMPTS', later))
      .thenRejects('HANDOFF_NOT_ACCEPTED');
  });
});

describe('recordSlaBreach: input', () => {
  it('takes a kind of ACCEPTANCE, FIRST_CONTACT or ATTEMPTS', () => {
    const parsed = COMMANDS.recordSlaBreach!.schema.safeParse({
      leadId: LEAD_ID,
      handoffId: HANDOFF_ID,
      kind: 'RESPONSE',
      deadline: ACCEPT_BY,
      detectedAt: ACCEPT_BY,
    });
    expect(parsed.success).toBe(false);
  });
});
