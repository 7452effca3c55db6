/* One base64 digit (RFC 4648): the alphabets differ only in the digits for
 * 62 and 63 ('+' '/' standard, '-' '_' base64url). */
#ifndef DLG_B64_H
#define DLG_B64_H

/* Value 0..63 of c in the alphabet whose digits 62 and 63 are d62, d63; -1
 * for any other byte. */
int dlg_b64_digit(unsigned char c, char d62, char d63);

#endif
