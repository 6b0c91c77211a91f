# What containers publish (the container engine), -Discover and drift, on the simulated Windows.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:Bundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 3s
    ports: [80, "8443:443"]
  - name: DOCKER-01
    distro: Ubuntu
    run_as: CORP\svc-podman
    wait_for_wsl: 3s
    ports: [8080]
'@
    $script:Update = Join-Path $script:Bundle 'WEB-01/Update-WslPortProxy.ps1'
    $script:DockerUpdate = Join-Path $script:Bundle 'DOCKER-01/Update-WslPortProxy.ps1'

    function Invoke-Entry {
        <# Runs an entry script: Output holds what it printed, Information its information, Errors its errors. #>
        param([string] $Path = $script:Update, [hashtable] $Parameters = @{})
        $global:LASTEXITCODE = 0
        $all = @(& $Path @Parameters 2>&1 3>&1 6>&1)
        $kinds = @{ Information = [System.Management.Automation.InformationRecord]; Errors = [System.Management.Automation.ErrorRecord]; Warnings = [System.Management.Automation.WarningRecord] }
        $result = [ordered]@{ ExitCode = $LASTEXITCODE }
        foreach ($kind in $kinds.Keys) { $result[$kind] = @($all | Where-Object { $_ -is $kinds[$kind] } | ForEach-Object { if ($_ -is [System.Management.Automation.InformationRecord]) { "$($_.MessageData)" } else { "$_" } }) }
        $result['Output'] = @($all | Where-Object { $_ -isnot [System.Management.Automation.InformationRecord] -and $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.WarningRecord] })
        return [pscustomobject]$result
    }

    function Set-MachineRunning {
        $podman = Read-SimState 'podman.json'
        $podman.machines['podman-machine-default'] = 'running'
        Write-SimState 'podman.json' $podman
    }
}

Describe 'Update-WslPortProxy.ps1 -Discover on a podman machine' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        Set-MachineRunning
        Set-SimContainer ([ordered]@{
                web = @((New-SimPublish -HostPort 80), (New-SimPublish -HostPort 443), (New-SimPublish -HostPort 8080 -ContainerPort 80 -HostIp '0.0.0.0'))
                api = @(New-SimPublish -HostPort 9000 -Range 3)
                db  = @(New-SimPublish -HostPort 5432 -HostIp '127.0.0.1')
                dns = @(New-SimPublish -HostPort 5353 -Protocol 'udp')
            })
    }
    AfterEach { Remove-SimulatedWindows }

    It 'prints the inventory entries for what is published, with the containers as comments, and exits 0' {
        $result = Invoke-Entry -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 0
        $result.Errors | Should -HaveCount 0
        $result.Output | Should -Be @(
            '# What podman (connection podman-machine-default) publishes in WSL distribution podman-machine-default now; paste under this server''s "ports:".'
            '- 80            # web, already forwarded'
            '- 443           # web, already forwarded'
            '- 8080          # web'
            '- "9000-9002"   # api'
            '# Not reachable through eth0, so not listed: 5432 (db, on 127.0.0.1 only)'
        )
        Get-SimCall -Program 'podman' | Should -Be @(
            'podman machine inspect podman-machine-default'
            'podman --connection podman-machine-default ps --format json'
            'podman ps podman-machine-default')
        Get-SimPortProxy | Should -BeNullOrEmpty   # read-only: no rule, no machine start
    }

    It 'prints entries the generator accepts as this server''s ports' {
        $entries = @((Invoke-Entry -Parameters @{ Discover = $true }).Output | Where-Object { $_ -notlike '#*' } | ForEach-Object { "      $_" })
        $inventory = "servers:`n  - name: WEB-01`n    ports:`n" + ($entries -join "`n") + "`n"
        $dist = New-TestBundle -Inventory $inventory
        $settings = Import-PowerShellDataFile -LiteralPath (Join-Path $dist 'WEB-01/WslPortProxy.Settings.psd1')
        @($settings.Ports | ForEach-Object { '{0}-{1}' -f $_.ListenPort, $_.LastListenPort }) | Should -Be @('80-80', '443-443', '8080-8080', '9000-9002')
    }

    It 'asks the rootful connection (NAME-root) when the machine is rootful' {
        $podman = Read-SimState 'podman.json'
        $podman['rootful'] = @('podman-machine-default')
        Write-SimState 'podman.json' $podman
        Set-SimContainer -Connection 'podman-machine-default-root' ([ordered]@{ proxy = @(New-SimPublish -HostPort 443) })
        $result = Invoke-Entry -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 0
        $result.Output[1] | Should -BeExactly '- 443           # proxy, already forwarded'
        $result.Output | Should -HaveCount 2
    }

    It 'says so when nothing is published' {
        Set-SimContainer ([ordered]@{})
        (Invoke-Entry -Parameters @{ Discover = $true }).Output[1] | Should -BeExactly '# No container publishes a TCP port that can be reached through eth0.'
    }

    It 'does not start a stopped machine: exit 13, and says why' {
        $podman = Read-SimState 'podman.json'
        $podman.machines['podman-machine-default'] = 'stopped'
        Write-SimState 'podman.json' $podman
        $result = Invoke-Entry -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 13
        $result.Output | Should -HaveCount 0
        $result.Errors | Should -Be @('Failed (exit code 13): podman machine podman-machine-default is not running (state: stopped): its published ports cannot be read.')
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'stopped'
    }

    It 'exits 13 when podman.exe is missing for the account' {
        Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'RedHat') -Recurse -Force
        $result = Invoke-Entry -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 13
        $result.Errors | Should -Be @('Failed (exit code 13): podman.exe was not found for CORP\svc-podman.')
    }
}

Describe 'Update-WslPortProxy.ps1 -Discover with Docker Engine in a WSL distribution' {
    BeforeEach {
        New-SimulatedWindows -Distro 'Ubuntu' -NoPodman | Out-Null
    }
    AfterEach { Remove-SimulatedWindows }

    It 'reads docker ps when the socket exists: published ranges, IPv6 and loopback bindings' {
        Set-SimWsl @{ Ubuntu = @{ ip = '172.28.241.140'; docker = @{ containers = @(
                        @{ Names = 'shop'; Ports = '0.0.0.0:8080->80/tcp, :::8080->80/tcp, 0.0.0.0:8443->443/tcp' }
                        @{ Names = 'metrics'; Ports = '[::]:9100-9101->9100-9101/tcp, 127.0.0.1:9090->9090/tcp, 53/udp' }
                        @{ Names = 'idle'; Ports = '6379/tcp' }) } } }
        $result = Invoke-Entry -Path $script:DockerUpdate -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Be @(
            '# What docker publishes in WSL distribution Ubuntu now; paste under this server''s "ports:".'
            '- 8080          # shop, already forwarded'
            '- 8443          # shop'
            '- "9100-9101"   # metrics'
            '# Not reachable through eth0, so not listed: 9090 (metrics, on 127.0.0.1 only)'
        )
    }

    It 'exits 13 when the distribution has neither a podman machine nor a Docker socket' {
        $result = Invoke-Entry -Path $script:DockerUpdate -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 13
        $result.Errors | Should -Be @('Failed (exit code 13): No container engine to ask in WSL distribution Ubuntu: the settings do not name a podman machine (podman_machine), and /var/run/docker.sock does not exist there.')
    }

    It 'exits 13 with docker''s own words when the account may not use the socket' {
        Set-SimWsl @{ Ubuntu = @{ ip = '172.28.241.140'; docker = @{ denied = $true } } }
        $result = Invoke-Entry -Path $script:DockerUpdate -Parameters @{ Discover = $true }
        $result.ExitCode | Should -Be 13
        $result.Errors | Should -Be @('Failed (exit code 13): docker ps in Ubuntu failed (exit 1): permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock')
    }
}

Describe 'Update-WslPortProxy.ps1 -Status: drift between what is published and what is forwarded' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $global:LASTEXITCODE = 0
        & $script:Update *> $null
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80, 443); blocked = @() }
        Set-SimContainer ([ordered]@{
                web = @(New-SimPublish -HostPort 443)
                api = @(New-SimPublish -HostPort 9000)
                db  = @(New-SimPublish -HostPort 5432 -HostIp '127.0.0.1')
            })
    }
    AfterEach { Remove-SimulatedWindows }

    It 'names the publishing containers per port and reports drift both ways as information: still exit 0' {
        $result = Invoke-Entry -Parameters @{ Status = $true }
        $result.ExitCode | Should -Be 0
        $rows = @($result.Output)
        $rows | Should -HaveCount 2
        $rows[0].Published | Should -BeExactly ''
        $rows[1].Published | Should -BeExactly 'web'
        $rows | ForEach-Object { $_.Ok | Should -BeTrue }
        $result.Information | Should -Be @(
            'OK: all 2 port(s) are forwarded, allowed, listening and answered by WSL.'
            'Drift (information; does not change the verdict):'
            '  Published, but not forwarded: 9000 (api); add it to this server''s ports in the inventory (Update-WslPortProxy.ps1 -Discover prints the entries).'
            '  Published on a loopback address only, so not forwarded (not reachable through eth0): 5432 (db on 127.0.0.1)'
            '  Forwarded, but no container publishes it: 80'
        )
    }

    It 'prints the verdict first, the drift apart after it, then the rows: the drift never reads as the verdict' {
        $global:LASTEXITCODE = 0
        $all = @(& $script:Update -Status 6>&1 3>$null)
        $LASTEXITCODE | Should -Be 0
        $lines = @($all | ForEach-Object { if ($_ -is [System.Management.Automation.InformationRecord]) { "$($_.MessageData)" } else { 'row ' + $_.Listener } })
        $lines[0] | Should -BeExactly 'OK: all 2 port(s) are forwarded, allowed, listening and answered by WSL.'
        $lines[1] | Should -BeExactly 'Drift (information; does not change the verdict):'
        @($lines | Select-Object -Last 2) | Should -Be @('row 0.0.0.0:80', 'row 0.0.0.0:8443')
        @($lines | Where-Object { $_ -match '^(OK|PROBLEM):' }) | Should -HaveCount 1
    }

    It '-Json carries the engine and the drift, and drift alone never makes it exit 9' {
        $global:LASTEXITCODE = 0
        $output = @(& $script:Update -Status -Json *>&1)
        $LASTEXITCODE | Should -Be 0
        $output | Should -HaveCount 1
        $document = $output[0] | ConvertFrom-Json
        $document.Engine | Should -BeExactly 'podman (connection podman-machine-default)'
        @($document.Drift | ForEach-Object { "$($_.Port) $($_.Kind)" }) | Should -Be @('5432 LoopbackOnly', '9000 NotForwarded', '80 NotPublished')
        $document.Ports[1].Published | Should -BeExactly 'web'
        $document.Summary.AllOk | Should -BeTrue
    }

    It 'warns, and still checks every port, when the engine cannot be read' {
        $podman = Read-SimState 'podman.json'
        $podman.machines['podman-machine-default'] = 'stopped'
        Write-SimState 'podman.json' $podman
        $result = Invoke-Entry -Parameters @{ Status = $true }
        $result.ExitCode | Should -Be 0
        $result.Warnings | Should -Be @('Cannot read the published ports: podman machine podman-machine-default is not running (state: stopped): its published ports cannot be read.')
        @($result.Output) | Should -HaveCount 2
        $result.Information | Should -Be @('OK: all 2 port(s) are forwarded, allowed, listening and answered by WSL.')
    }

    It 'reports no drift and asks no engine in a distribution without one' {
        $dockerServer = Join-Path $script:Bundle 'DOCKER-01/Update-WslPortProxy.ps1'
        Set-SimWsl @{ Ubuntu = @{ ip = '172.28.241.140' } }
        $global:LASTEXITCODE = 0
        & $dockerServer *> $null
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(8080); blocked = @() }
        $result = Invoke-Entry -Path $dockerServer -Parameters @{ Status = $true }
        $result.ExitCode | Should -Be 0
        $result.Warnings | Should -HaveCount 0
        $result.Information | Should -Be @('OK: all 1 port(s) are forwarded, allowed, listening and answered by WSL.')
    }
}
