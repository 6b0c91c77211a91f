# Unit tests: what the container engine publishes, and drift (Private/Engine.ps1, Find-WslPortProxyPort).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Find-PodmanProgram' {
    AfterEach { Remove-SimulatedWindows }

    It 'finds the <Scope> install (<Folder>)' -ForEach @(
        @{ Scope = 'RedHat'; Folder = 'Program Files/RedHat/Podman' }
        @{ Scope = 'Machine'; Folder = 'Program Files/Podman' }
        @{ Scope = 'User'; Folder = 'Users/svc-podman/AppData/Local/Programs/Podman' }
    ) {
        $sim = New-SimulatedWindows -PodmanScope $Scope
        $expected = Join-Path (Join-Path $sim.Root $Folder) 'podman.exe'
        InModuleScope WslPortProxy { Find-PodmanProgram } | Should -Be $expected
    }

    It 'prefers a machine-wide install to the account''s per-user one' {
        $sim = New-SimulatedWindows -PodmanScope User
        $machine = Join-Path (Join-Path $sim.ProgramFiles 'Podman') 'podman.exe'
        Install-SimProgram -Program podman -Path $machine -Fake (Join-Path $PSScriptRoot '../sim/fakewin.py')
        InModuleScope WslPortProxy { Find-PodmanProgram } | Should -Be $machine
    }

    It 'takes no per-user install from a LOCALAPPDATA outside the account''s profile' {
        New-SimulatedWindows -PodmanScope User | Out-Null
        $env:USERPROFILE = Join-Path $global:WslppSim.Root 'Users/someone-else'
        InModuleScope WslPortProxy {
            Get-UserPodmanPath | Should -BeNullOrEmpty
            Find-PodmanProgram | Should -BeNullOrEmpty
        }
    }
}

Describe 'ConvertFrom-PodmanContainerList' {
    It 'expands ranges, keeps TCP (also in a protocol list), drops UDP, and marks loopback bindings unreachable' {
        InModuleScope WslPortProxy {
            $json = @'
[
  {"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 8080, "range": 0, "protocol": "tcp"},
                               {"host_ip": "0.0.0.0", "container_port": 9000, "host_port": 9100, "range": 2, "protocol": "tcp,udp"}]},
  {"Names": ["dns"], "Ports": [{"host_ip": "", "container_port": 53, "host_port": 53, "range": 1, "protocol": "udp"}]},
  {"Names": ["db"], "Ports": [{"host_ip": "127.0.0.1", "container_port": 5432, "host_port": 5432, "range": 1, "protocol": ""}]},
  {"Names": ["idle"], "Ports": null}
]
'@
            $ports = @(ConvertFrom-PodmanContainerList -Json $json)
            @($ports | ForEach-Object { '{0} {1}:{2}->{3} {4}' -f $_.Container, $_.HostIp, $_.Port, $_.ContainerPort, $_.Reachable }) | Should -Be @(
                'web 0.0.0.0:8080->80 True', 'web 0.0.0.0:9100->9000 True', 'web 0.0.0.0:9101->9001 True', 'db 127.0.0.1:5432->5432 False')
            $ports[0].PSObject.TypeNames[0] | Should -Be 'WslPortProxy.PublishedPort'
            $ports[0].Engine | Should -Be 'podman'
        }
    }

    It 'returns nothing for an empty list' {
        InModuleScope WslPortProxy { @(ConvertFrom-PodmanContainerList -Json '[]') | Should -HaveCount 0 }
    }

    It 'cuts a published range by Within: expanded inside, one range per piece outside' {
        InModuleScope WslPortProxy {
            $within = @([pscustomobject]@{ First = 5; Last = 6 }, [pscustomobject]@{ First = 9; Last = 20 })
            @(Split-PortRange -First 1 -Last 10 -Within $within | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Inside }) |
                Should -Be @('1-4 False', '5-6 True', '7-8 False', '9-10 True')
            @(Split-PortRange -First 30 -Last 40 -Within $within | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Inside }) |
                Should -Be @('30-40 False')
            $json = '[{"Names": ["w"], "Ports": [{"host_ip": "", "container_port": 101, "host_port": 1, "range": 10, "protocol": "tcp"}]}]'
            $items = @(ConvertFrom-PodmanContainerList -Json $json -Within $within)
            @($items | ForEach-Object { if ($_.PSObject.TypeNames -contains 'WslPortProxy.PublishedRange') { "range $($_.First)-$($_.Last)" } else { "$($_.Port)->$($_.ContainerPort)" } }) |
                Should -Be @('range 1-4', '5->105', '6->106', 'range 7-8', '9->109', '10->110')
        }
    }
}

Describe 'ConvertFrom-DockerPortText' {
    It 'reads <Text>' -ForEach @(
        @{ Text = '0.0.0.0:8080->80/tcp, :::8080->80/tcp'; Expected = @('0.0.0.0:8080->80 True', ':::8080->80 True') }
        @{ Text = '[::]:9100-9101->9100-9101/tcp'; Expected = @(':::9100->9100 True', ':::9101->9101 True') }
        @{ Text = '127.0.0.1:9090->9090/tcp, [::1]:9091->9091/tcp'; Expected = @('127.0.0.1:9090->9090 False', '::1:9091->9091 False') }
        @{ Text = '53/udp, 6379/tcp, 0.0.0.0:53->53/udp'; Expected = @() }
        @{ Text = ''; Expected = @() }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Text = $Text; Expected = $Expected } {
            param($Text, $Expected)
            $ports = @(ConvertFrom-DockerPortText -Text $Text -Container 'c')
            @($ports | ForEach-Object { '{0}:{1}->{2} {3}' -f $_.HostIp, $_.Port, $_.ContainerPort, $_.Reachable }) | Should -Be $Expected
        }
    }
}

Describe 'Read-PodmanPort' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'finds the JSON after podman''s warnings on stderr' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running","Rootful":true}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } {
                [pscustomobject]@{ ExitCode = 0; Output = @('time="2026-12-01T10:00:00Z" level=warning msg="The cgroupv2 manager is set to systemd"', '[', '{"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 80, "range": 1, "protocol": "tcp"}]}', ']') }
            }
            $reading = Read-PodmanPort -Distro 'm'
            $reading.Engine | Should -Be 'podman (connection m-root)'
            @($reading.Ports) | Should -HaveCount 1
            Should -Invoke Invoke-Podman -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq '--connection m-root ps --format json' }
        }
    }

    It 'fails with exit code 13 and podman''s words when ps fails' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running","Rootful":false}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } { [pscustomobject]@{ ExitCode = 125; Output = @('Error: unable to connect to Podman socket') } }
            $failure = { Read-PodmanPort -Distro 'm' } | Should -Throw -ErrorId 'WslPortProxy.EngineFailed' -PassThru
            $failure.Exception.Message | Should -BeExactly 'podman --connection m ps failed (exit 125): Error: unable to connect to Podman socket'
            $failure.Exception.Data['WslPortProxyExitCode'] | Should -Be 13
        }
    }

    It 'fails with exit code 13 when the output is not JSON' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running"}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } { [pscustomobject]@{ ExitCode = 0; Output = @('[oops') } }
            { Read-PodmanPort -Distro 'm' } | Should -Throw -ErrorId 'WslPortProxy.EngineFailed' -ExpectedMessage 'podman --connection m ps printed no readable list: `[oops'
        }
    }

    It 'says the state is unknown when podman machine inspect fails' {
        InModuleScope WslPortProxy {
            Mock Invoke-Podman { [pscustomobject]@{ ExitCode = 125; Output = @('Error: m: VM does not exist') } }
            { Read-PodmanPort -Distro 'm' } | Should -Throw -ExpectedMessage 'podman machine m is not running (state: unknown): its published ports cannot be read.'
        }
    }
}

Describe 'Read-PublishedPort' {
    It 'asks podman for a podman machine and Docker otherwise, and sorts by port' {
        InModuleScope WslPortProxy {
            $unsorted = @((New-PublishedPort -Engine 'docker' -Container 'b' -Port 90 -ContainerPort 90), (New-PublishedPort -Engine 'docker' -Container 'a' -Port 80 -ContainerPort 80))
            Mock Read-PodmanPort { [pscustomobject]@{ Engine = 'podman'; Ports = @() } }
            Mock Read-DockerPort { [pscustomobject]@{ Engine = 'docker'; Ports = $unsorted } }
            Mock Find-WslProgram { 'wsl.exe' }
            $timeouts = [pscustomobject]@{ Wsl = 7; Podman = 8; Netsh = 9 }
            $link = Join-Path $TestDrive 'podman-wsl/Microsoft/WindowsApps'   # what the reconcile made for podman <= 5.5
            New-Item -ItemType Directory -Path $link -Force | Out-Null
            Set-Content -LiteralPath (Join-Path $link 'wsl.exe') -Value 'link'
            (Read-PublishedPort -Settings ([pscustomobject]@{ PodmanMachine = $true; Distro = 'm'; CommandTimeouts = $timeouts; InstallDirectory = $TestDrive })).Engine | Should -Be 'podman'
            Should -Invoke Read-PodmanPort -Times 1 -Exactly -ParameterFilter { $CommandTimeout -eq 8 -and $LocalAppData -eq (Join-Path $TestDrive 'podman-wsl') }
            $docker = Read-PublishedPort -Settings ([pscustomobject]@{ PodmanMachine = $false; Distro = 'Ubuntu'; CommandTimeouts = $timeouts; InstallDirectory = $TestDrive })
            Should -Invoke Read-DockerPort -Times 1 -Exactly -ParameterFilter { $CommandTimeout -eq 7 }   # wsl.exe's
            @($docker.Ports | ForEach-Object { $_.Port }) | Should -Be @(80, 90)
            Should -Invoke Read-DockerPort -Times 1 -Exactly -ParameterFilter { $Distro -eq 'Ubuntu' -and $WslPath -eq 'wsl.exe' }
        }
    }

    It 'returns $null when the distribution has no Docker socket' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('no docker socket') } }
            Read-DockerPort -WslPath 'wsl.exe' -Distro 'Ubuntu' | Should -BeNullOrEmpty
            Should -Invoke Invoke-Wsl -Times 1 -Exactly -ParameterFilter { $ArgumentList[-1] -like 'if `[ -S /var/run/docker.sock `]; then docker ps*' }
        }
    }
}

Describe 'Get-PublishedPortReading with auto_ports: a published range meets the allow-list' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'expands only the ports the allow-list or a static entry names: -p 1-65535:1-65535 gives <Count> ports through <Engine>' -ForEach @(
        @{ Engine = 'podman'; Count = 4 }, @{ Engine = 'docker'; Count = 4 }
    ) {
        $table = New-TestSettings -Overrides @{ PodmanMachine = ($Engine -eq 'podman')
            AutoPorts = @{ From = $Engine; ListenAddress = '0.0.0.0'; AllowFrom = @(); Limit = 10; Allow = @(@{ First = 8000; Last = 8001 }) }
            Ports = @(@{ ListenAddress = '0.0.0.0'; ListenPort = 9443; LastListenPort = 9443; ConnectPort = 443; AllowFrom = @() },
                @{ ListenAddress = '0.0.0.0'; ListenPort = 8001; LastListenPort = 8001; ConnectPort = 8001; AllowFrom = @() }) }
        InModuleScope WslPortProxy -Parameters @{ Table = $table } {
            param($Table)
            $settings = Import-Settings -Settings $Table
            Mock Find-WslProgram { 'wsl.exe' }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq 'machine' } { [pscustomobject]@{ ExitCode = 0; Output = @('[{"Name":"m","State":"running"}]') } }
            Mock Invoke-Podman -ParameterFilter { $ArgumentList[0] -eq '--connection' } {
                [pscustomobject]@{ ExitCode = 0; Output = @('[{"Names": ["wide"], "Ports": [{"host_ip": "", "container_port": 1, "host_port": 1, "range": 65535, "protocol": "tcp"}]},',
                        '{"Names": ["web"], "Ports": [{"host_ip": "", "container_port": 80, "host_port": 8000, "range": 1, "protocol": "tcp"}]}]') }
            }
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 0; Output = @('{"Names":"wide","Ports":"0.0.0.0:1-65535->1-65535/tcp"}', '{"Names":"web","Ports":"0.0.0.0:8000->80/tcp"}') } }
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $reading = (Get-PublishedPortReading -Settings $settings).Reading
            $seconds = $clock.Elapsed.TotalSeconds
            @($reading.Ports | ForEach-Object { '{0} {1}' -f $_.Port, $_.Container }) | Should -Be @('443 wide', '8000 web', '8000 wide', '8001 wide')
            @($reading.Outside | ForEach-Object { '{0}-{1} {2}' -f $_.First, $_.Last, $_.Container }) | Should -Be @('1-442 wide', '444-7999 wide', '8002-65535 wide')
            $seconds | Should -BeLessThan 10   # the work done is asserted above; 17 s of CPU before the fix
        }
    }
}

Describe 'Get-PublishedDrift' {
    It 'reports published-not-forwarded, forwarded-not-published and loopback-only ports, and nothing for a match' {
        InModuleScope WslPortProxy {
            $rules = @([pscustomobject]@{ ConnectPort = 80; Key = '0.0.0.0/80' }, [pscustomobject]@{ ConnectPort = 443; Key = '0.0.0.0/8443' },
                [pscustomobject]@{ ConnectPort = 5432; Key = '0.0.0.0/5432' })
            $published = @(
                (New-PublishedPort -Engine 'podman' -Container 'web' -Port 443 -ContainerPort 443)
                (New-PublishedPort -Engine 'podman' -Container 'api' -Port 9000 -ContainerPort 9000)
                (New-PublishedPort -Engine 'podman' -Container 'api2' -Port 9000 -ContainerPort 9000 -HostIp '127.0.0.1')
                (New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'))
            $drift = @(Get-PublishedDrift -Rule $rules -Published $published)
            @($drift | ForEach-Object { "$($_.Port) $($_.Kind)" }) | Should -Be @('5432 LoopbackOnly', '9000 NotForwarded', '80 NotPublished')
            $drift[1].Message | Should -BeExactly "Port 9000 is published (api, api2) but not forwarded: add 9000 to this server's ports in the inventory (Update-WslPortProxy.ps1 -Discover prints the entries)."
        }
    }

    It 'with auto_ports, says a port is outside the allow-list, and leaves out the ports auto_ports skipped' {
        InModuleScope WslPortProxy {
            $auto = [pscustomobject]@{ Allow = @([pscustomobject]@{ First = 80; Last = 80 }) }
            $published = @((New-PublishedPort -Engine 'podman' -Container 'api' -Port 9000 -ContainerPort 9000), (New-PublishedPort -Engine 'podman' -Container 'web' -Port 80 -ContainerPort 80))
            $drift = @(Get-PublishedDrift -Rule @() -Published $published -AutoPorts $auto -Skipped @(80))
            $drift | Should -HaveCount 1
            $drift[0].Message | Should -BeExactly "Port 9000 is published (api) but not forwarded: it is outside auto_ports.allow; add it there or to this server's ports in the inventory."
        }
    }

    It 'names the ranges left unexpanded (outside the allow-list) once each, not port by port' {
        InModuleScope WslPortProxy {
            $auto = [pscustomobject]@{ Allow = @([pscustomobject]@{ First = 80; Last = 80 }) }
            $wide = New-PublishedPort -Engine 'podman' -Container 'wide' -Port 1 -ContainerPort 1
            $local = New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'
            $outside = @((New-PublishedRange -Sample $wide -First 81 -Last 65535), (New-PublishedRange -Sample $wide -First 9 -Last 9),
                (New-PublishedRange -Sample $local -First 5432 -Last 5432))
            $drift = @(Get-PublishedDrift -Rule @() -Published @() -AutoPorts $auto -Outside $outside)
            @($drift | ForEach-Object { $_.Message }) | Should -Be @(
                "Ports 81-65535 are published (wide) but not forwarded: they are outside auto_ports.allow; add them there or to this server's ports in the inventory."
                "Port 9 is published (wide) but not forwarded: it is outside auto_ports.allow; add it there or to this server's ports in the inventory."
                'Port 5432 is published (db) on 127.0.0.1 only: not reachable through eth0, so not forwarded; skipped.')
            @($drift.Kind) | Should -Be @('NotForwarded', 'NotForwarded', 'LoopbackOnly')
        }
    }

    It 'reports every forwarded port when nothing is published' {
        InModuleScope WslPortProxy {
            $rules = @([pscustomobject]@{ ConnectPort = 80; Key = '0.0.0.0/80' })
            @(Get-PublishedDrift -Rule $rules -Published @()).Kind | Should -Be @('NotPublished')
        }
    }
}

Describe 'ConvertTo-PortInventory' {
    It 'joins consecutive ports of the same containers into a range, but not across containers or forwarded ports' {
        InModuleScope WslPortProxy {
            $ports = @(foreach ($port in 8000, 8001, 8002, 8003) { New-PublishedPort -Engine 'podman' -Container 'a' -Port $port -ContainerPort $port })
            $ports += New-PublishedPort -Engine 'podman' -Container 'b' -Port 8004 -ContainerPort 8004
            $reading = [pscustomobject]@{ Engine = 'podman'; Ports = $ports }
            $rules = @([pscustomobject]@{ ConnectPort = 8002 })
            ConvertTo-PortInventory -Reading $reading -Distro 'm' -Rule $rules | Should -Be @(
                '# What podman publishes in WSL distribution m now; paste under this server''s "ports:".'
                '- "8000-8001"   # a'
                '- 8002          # a, already forwarded'
                '- 8003          # a'
                '- 8004          # b')
        }
    }
}

Describe 'Find-WslPortProxyPort' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'returns the published ports with Forwarded set from the settings'' rules' {
        InModuleScope WslPortProxy {
            Mock Read-PublishedPort { [pscustomobject]@{ Engine = 'podman'; Ports = @((New-PublishedPort -Engine 'podman' -Container 'web' -Port 80 -ContainerPort 80), (New-PublishedPort -Engine 'podman' -Container 'web' -Port 81 -ContainerPort 81)) } }
            $ports = @(Find-WslPortProxyPort -Settings (New-TestSettings))
            @($ports | ForEach-Object { "$($_.Port) $($_.Forwarded)" }) | Should -Be @('80 True', '81 False')
        }
    }

    It 'fails with exit code 13 when there is no engine, and 10 for invalid settings' {
        InModuleScope WslPortProxy {
            Mock Read-PublishedPort { $null }
            { Find-WslPortProxyPort -Settings (New-TestSettings -Overrides @{ PodmanMachine = $false; Distro = 'Ubuntu' }) } |
                Should -Throw -ErrorId 'WslPortProxy.EngineFailed,Find-WslPortProxyPort' -ExpectedMessage 'No container engine to ask in WSL distribution Ubuntu: *'
            { Find-WslPortProxyPort -Settings @{} } | Should -Throw -ErrorId 'WslPortProxy.InvalidSettings,Find-WslPortProxyPort'
        }
    }
}
