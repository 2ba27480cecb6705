/**
 * Accounts and traders. A few accounts do most of the business (Zipf), and each account is
 * mostly handled by one trader, so account/trader pairs carry structure a model can learn.
 */

import { AliasTable, Rng, zipfWeights } from './random.js';

export const ACCOUNT_COUNT = 3000;
export const TRADER_COUNT = 300;
/** Share of an account's trades booked by its usual trader. */
const HOME_TRADER_SHARE = 0.85;

/** The firm's accounts and traders for one seed. */
export interface Participants {
  accounts: readonly string[];
  traders: readonly string[];
  /** trader index that usually handles account i */
  homeTrader: Int32Array;
  accountTable: AliasTable;
  traderTable: AliasTable;
}

/** Builds the participants for `seed` (independent of the day, like the symbol universe). */
export function buildParticipants(seed: number): Participants {
  const rng = Rng.fromParts(seed, 'participants');
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNT_COUNT; i++) accounts.push(`ACC${String(10_000 + i * 7 + rng.int(7)).padStart(6, '0')}`);
  const traders: string[] = [];
  for (let i = 0; i < TRADER_COUNT; i++) traders.push(`TR${String(100 + i).padStart(4, '0')}`);
  const traderWeights = zipfWeights(TRADER_COUNT, 0.7);
  const traderTable = new AliasTable(traderWeights);
  const homeTrader = new Int32Array(ACCOUNT_COUNT);
  for (let i = 0; i < ACCOUNT_COUNT; i++) homeTrader[i] = traderTable.sample(rng);
  // Account ranks are shuffled against ids so the busiest account is not simply the lowest id.
  const accountWeights = zipfWeights(ACCOUNT_COUNT, 1.05);
  for (let i = ACCOUNT_COUNT - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const w = accountWeights[i];
    accountWeights[i] = accountWeights[j];
    accountWeights[j] = w;
  }
  return { accounts, traders, homeTrader, accountTable: new AliasTable(accountWeights), traderTable };
}

/** Draws an account and the trader booking the trade. */
export function drawParticipant(participants: Participants, rng: Rng): { account: string; trader: string } {
  const account = participants.accountTable.sample(rng);
  const trader = rng.chance(HOME_TRADER_SHARE) ? participants.homeTrader[account] : participants.traderTable.sample(rng);
  return { account: participants.accounts[account], trader: participants.traders[trader] };
}
