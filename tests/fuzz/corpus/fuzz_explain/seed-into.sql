SELECT * INTO x FROM t /* /* nested */ */
