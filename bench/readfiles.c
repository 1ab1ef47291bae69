/* The C floor for loading a project: list one folder and read every file in
 * it once (opendir/readdir, open/read/close), single-threaded, doing nothing
 * with the bytes. `migrate heads` does this and more (parse, build the graph).
 *
 *     readfiles DIR
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: readfiles DIR\n");
        return 2;
    }
    int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
    DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    static char buf[1 << 16];
    unsigned long files = 0, bytes = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int fd = openat(dfd, e->d_name, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            bytes += (unsigned long)n;
        close(fd);
        files++;
    }
    closedir(d);
    return files == 0;
}
