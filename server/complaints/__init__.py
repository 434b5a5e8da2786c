"""欠薪线索: a worker's wage complaint sent from the phone, or one an inspector enters (received
by phone, letter, a visit or the national 欠薪线索反映 platform), handled by the regulator:
owner, due date, received → verifying → resolved / referred / closed, a closing note, history."""
