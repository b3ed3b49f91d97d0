 static int parse_header(const unsigned char *data, size_t len)
{
	if (data == NULL)
		return -1;
	// café 日本 <mask> [CLS]
}